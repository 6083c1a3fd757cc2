/** One packet out of the chunks a sender was handed (header, payload views), copied together. */
export function concatChunks(chunks: readonly Uint8Array[]): Buffer {
  return Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)));
}

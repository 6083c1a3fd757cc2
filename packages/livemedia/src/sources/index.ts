// Barrel of this area: add `export … from` lines for each public file here.
export { ByteStreamFileSource, type ByteStreamFileSourceOptions } from './ByteStreamFileSource.js';
export { ByteStreamMemorySource, type ByteStreamMemorySourceOptions } from './ByteStreamMemorySource.js';
export { isSeekableByteStream, type SeekableByteStream } from './SeekableByteStream.js';
export { FileIndexCache, fileIndexKey } from './FileIndexCache.js';

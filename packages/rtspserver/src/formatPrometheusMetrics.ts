import type { RTSPServerStats } from './RTSPServerStats.js';

/** The `Content-Type` of {@link formatPrometheusMetrics}' output (Prometheus text format 0.0.4). */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Labels = Readonly<Record<string, string>>;

interface Family {
  readonly name: string;
  readonly type: 'counter' | 'gauge';
  readonly help: string;
  readonly samples: Array<[Labels, number]>;
}

/**
 * A label value as the Prometheus text format wants it between double quotes: backslash, double
 * quote and line feed escaped (`\\`, `\"`, `\n`).
 */
export function escapePrometheusLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\\' ? '\\\\' : c === '"' ? '\\"' : '\\n'));
}

/** A sample value: integers as they are, others in JavaScript's shortest form, `NaN`/`+Inf`/`-Inf` spelt as Prometheus does. */
function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/**
 * An {@link RTSPServerStats} snapshot in the Prometheus text exposition format (0.0.4): every
 * family with its `# HELP` and `# TYPE` lines, counters named `…_total`, label values escaped.
 * Figures a snapshot does not know yet (a reader's RTT before a receiver report named one of our
 * sender reports) are left out, not written as 0.
 *
 * Series: server-wide `dorsvr_connections`, `dorsvr_readers`, `dorsvr_publishers`,
 * `dorsvr_streams`, `dorsvr_uptime_seconds`, `dorsvr_{sent,received}_bits_per_second` and the
 * counters `dorsvr_{reader,publisher}_sessions_total`, `dorsvr_{sent,received}_{packets,bytes}_total`;
 * per reader track (labels `session`, `stream`, `track`, `remote`): `dorsvr_reader_…`; per
 * publisher track (labels `path`, `track`, `media`, `remote`): `dorsvr_publisher_…`. The per-session
 * series last as long as their session (a new session id is a new series); the server-wide
 * counters keep what ended sessions carried, so rates over them (`rate(dorsvr_sent_bytes_total[1m])`)
 * stay right across sessions.
 */
export function formatPrometheusMetrics(stats: RTSPServerStats): string {
  const families: Family[] = [];
  const family = (name: string, type: 'counter' | 'gauge', help: string): Family['samples'] => {
    const f: Family = { name, type, help, samples: [] };
    families.push(f);
    return f.samples;
  };
  const server = (name: string, type: 'counter' | 'gauge', help: string, value: number): void => {
    family(name, type, help).push([{}, value]);
  };
  server('dorsvr_uptime_seconds', 'gauge', 'Seconds since the RTSP server was made.', stats.uptimeSeconds);
  server('dorsvr_connections', 'gauge', 'Open RTSP connections.', stats.connections);
  server('dorsvr_readers', 'gauge', 'Reader sessions alive.', stats.readers);
  server('dorsvr_publishers', 'gauge', 'Publishers alive (announced or recording).', stats.publishers);
  server('dorsvr_streams', 'gauge', 'Streams registered.', stats.streams);
  server('dorsvr_sent_bits_per_second', 'gauge', 'RTP payload bit rate sent to every reader.', stats.sentBitsPerSecond);
  server('dorsvr_received_bits_per_second', 'gauge', 'RTP bit rate received from every publisher.', stats.receivedBitsPerSecond);
  server('dorsvr_reader_sessions_total', 'counter', 'Reader sessions created.', stats.totals.readerSessions);
  server('dorsvr_publisher_sessions_total', 'counter', 'Publisher sessions created.', stats.totals.publisherSessions);
  server('dorsvr_sent_packets_total', 'counter', 'RTP packets sent to readers.', stats.totals.packetsSent);
  server('dorsvr_sent_bytes_total', 'counter', 'RTP payload bytes sent to readers.', stats.totals.bytesSent);
  server('dorsvr_received_packets_total', 'counter', 'RTP packets received from publishers.', stats.totals.packetsReceived);
  server('dorsvr_received_bytes_total', 'counter', 'RTP bytes received from publishers.', stats.totals.bytesReceived);

  const rPackets = family('dorsvr_reader_sent_packets_total', 'counter', 'RTP packets sent to a reader, per track.');
  const rBytes = family('dorsvr_reader_sent_bytes_total', 'counter', 'RTP payload bytes sent to a reader, per track.');
  const rRate = family('dorsvr_reader_bits_per_second', 'gauge', 'RTP payload bit rate sent to a reader, per track.');
  const rReports = family('dorsvr_reader_receiver_reports_total', 'counter', 'RTCP receiver reports received from a reader, per track.');
  const rLost = family('dorsvr_reader_packets_lost', 'gauge', "Cumulative packets lost, from the reader's last RTCP receiver report.");
  const rFraction = family('dorsvr_reader_fraction_lost', 'gauge', "Fraction of packets lost (0-1), from the reader's last RTCP receiver report.");
  const rJitter = family('dorsvr_reader_jitter_seconds', 'gauge', "Interarrival jitter, from the reader's last RTCP receiver report.");
  const rRTT = family('dorsvr_reader_rtt_seconds', 'gauge', 'Round-trip time, from the last receiver report that named one of our sender reports.');
  for (const s of stats.readerSessions) {
    for (const t of s.tracks) {
      const l: Labels = { session: s.id, stream: s.streamName, track: t.trackId, remote: s.remoteAddress };
      rPackets.push([l, t.packets]);
      rBytes.push([l, t.bytes]);
      rRate.push([l, t.bitsPerSecond]);
      rReports.push([l, t.receiverReports]);
      if (t.packetsLost !== undefined) rLost.push([l, t.packetsLost]);
      if (t.fractionLost !== undefined) rFraction.push([l, t.fractionLost]);
      if (t.jitterSeconds !== undefined) rJitter.push([l, t.jitterSeconds]);
      if (t.rttSeconds !== undefined) rRTT.push([l, t.rttSeconds]);
    }
  }

  const pPackets = family('dorsvr_publisher_received_packets_total', 'counter', 'RTP packets received from a publisher, per track.');
  const pBytes = family('dorsvr_publisher_received_bytes_total', 'counter', 'RTP bytes received from a publisher, per track.');
  const pRate = family('dorsvr_publisher_bits_per_second', 'gauge', 'RTP bit rate received from a publisher, per track.');
  const pLost = family('dorsvr_publisher_packets_lost', 'gauge', "Packets lost from a publisher's current SSRC, as the server counts them.");
  const pFraction = family('dorsvr_publisher_fraction_lost', 'gauge', 'Fraction of packets lost (0-1) in the last receiver report the server sent the publisher.');
  const pJitter = family('dorsvr_publisher_jitter_seconds', 'gauge', "Interarrival jitter of a publisher's packets, as the server measures it.");
  const pReaders = family('dorsvr_publisher_readers', 'gauge', 'Readers set up on a published track.');
  for (const p of stats.publishedStreams) {
    for (const t of p.tracks) {
      const l: Labels = { path: p.path, track: String(t.index), media: t.media, remote: p.remoteAddress };
      pPackets.push([l, t.packets]);
      pBytes.push([l, t.bytes]);
      pRate.push([l, t.bitsPerSecond]);
      pReaders.push([l, t.readers]);
      if (t.packetsLost !== undefined) pLost.push([l, t.packetsLost]);
      if (t.fractionLost !== undefined) pFraction.push([l, t.fractionLost]);
      if (t.jitterSeconds !== undefined) pJitter.push([l, t.jitterSeconds]);
    }
  }

  const out: string[] = [];
  for (const f of families) {
    out.push(`# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${f.name} ${f.type}`);
    for (const [labels, value] of f.samples) {
      const entries = Object.entries(labels);
      const l = entries.length === 0 ? '' : `{${entries.map(([k, v]) => `${k}="${escapePrometheusLabelValue(v)}"`).join(',')}}`;
      out.push(`${f.name}${l} ${formatValue(value)}`);
    }
  }
  return `${out.join('\n')}\n`;
}

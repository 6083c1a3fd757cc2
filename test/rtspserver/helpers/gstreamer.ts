import assert from 'node:assert/strict';
import type { PeerResult } from './ffmpeg.js';

/**
 * rtspsrc's jitter buffer times buffers from the RTP timestamps alone (`buffer-mode=synced`: the
 * first packet's arrival, then RTP time), not the default `slave` mode's estimate of the sender's
 * clock from arrival times. On a loaded machine packets reach gst-launch in bursts (GST_DEBUG shows
 * 13 packets spanning 480 ms of RTP time read within 0.6 ms); the skew estimate then falls behind
 * the last time given out, rtpjitterbuffer answers "backwards timestamps, using previous time", and
 * consecutive frames carry the same PTS, which h264parse/h265parse (GstBaseParse: a repeated
 * upstream timestamp is not a new one) pass on as none: mp4mux fails with "Buffer has no PTS" and
 * no EOS is posted. Our RTP timestamps are right (40 ms a frame in that log); the times written
 * (checked in order by the tests) are then ours, not GStreamer's clock estimate.
 */
export const GST_RTP_TIMESTAMPS: readonly string[] = ['buffer-mode=synced'];

/**
 * A gst-launch run of rtspsrc against our server ended by itself at the end of the stream: not
 * killed at `boundMs`, EOS posted (rtspsrc does on our RTCP BYE), and no error but rtspsrc's own
 * shutdown race (below).
 */
export function assertGstStoppedByItself(r: PeerResult, what: string, boundMs: number): void {
  const log = `\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`;
  assert.equal(r.signal, null, `${what}: gst-launch did not stop by itself within ${boundMs} ms (killed)${log}`);
  // Nothing asked it to stop: this EOS is rtspsrc's, posted on our BYE.
  assert.match(r.stdout, /Got EOS from element "pipeline0"/, `${what}: no EOS${log}`);
  if (r.code !== 0) {
    // rtspsrc races itself on the way down (seen with GST_DEBUG=rtspsrc:5): the PLAYING→PAUSED
    // PAUSE is still being sent when the READY CLOSE flushes the connection, so the PAUSE "fails"
    // with no byte from us (the TEARDOWN after it gets its 200) and gst-launch exits 1. That
    // error, and only that one, after the EOS is not ours. On a loaded machine the same flush can
    // also fail the TEARDOWN that CLOSE sends (gst_rtspsrc_close, "Received end-of-file" from the
    // flushed connection), seen once in a full run at load 15 and never alone.
    const errors = r.stderr.split(/^(?=ERROR: )/m).filter((e) => e.startsWith('ERROR: '));
    assert.ok(
      errors.length > 0 &&
        errors.every((e) => /rtspsrc0: Could not write to resource/.test(e) && /gst_rtspsrc_(pause|try_send|close) \(\)/.test(e) && /Could not send message/.test(e)),
      `${what}: gst-launch exited ${r.code}${log}`,
    );
  }
}

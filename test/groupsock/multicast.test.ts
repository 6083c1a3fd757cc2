// Multicast for real, inside a network namespace this test creates and deletes: ASM join/leave
// and SSM source filtering on the namespace's loopback interface, with the sender and the
// receiver in separate node processes. Needs root and iproute2; without them the test FAILS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const NS = `dorsvr-test-${process.pid}`;
const PEER = fileURLToPath(new URL('./multicastPeer.js', import.meta.url));

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(
      `multicast test needs network namespaces (root + iproute2) and cannot run here: ` +
        `"ip ${args.join(' ')}" failed: ${r.error?.message ?? r.stderr.trim()}`,
    );
  }
}

interface PeerEvent {
  ev: string;
  n?: number;
  id?: string;
  from?: string;
  data?: string;
  message?: string;
}

/** A multicastPeer process inside the namespace, driven by commands. */
class Peer {
  readonly proc: ChildProcess;
  readonly packets: PeerEvent[] = [];
  readonly #waiting = new Map<number, (e: PeerEvent) => void>();
  #n = 0;
  stderr = '';

  constructor() {
    this.proc = spawn('ip', ['netns', 'exec', NS, process.execPath, PEER], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      const e = JSON.parse(line) as PeerEvent;
      if (e.ev === 'packet') this.packets.push(e);
      else if (e.n !== undefined) this.#waiting.get(e.n)?.(e);
    });
  }

  /** Send a command; resolves when the peer has carried it out, rejects on its error or after 10 s. */
  do(cmd: object): Promise<void> {
    const n = this.#n++;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`peer did not answer ${JSON.stringify(cmd)}; stderr: ${this.stderr}`)), 10_000);
      this.#waiting.set(n, (e) => {
        clearTimeout(timer);
        this.#waiting.delete(n);
        if (e.ev === 'ok') resolve();
        else reject(new Error(`peer failed ${JSON.stringify(cmd)}: ${e.message}`));
      });
      this.proc.stdin!.write(`${JSON.stringify(cmd)}\n`);
    });
  }

  /** Payloads received on socket `id` so far. */
  got(id: string): string[] {
    return this.packets.filter((p) => p.id === id).map((p) => p.data!);
  }

  /** Wait (bounded) until socket `id` has at least `count` packets. */
  async waitFor(id: string, count: number, ms = 3000): Promise<void> {
    const end = Date.now() + ms;
    while (this.got(id).length < count && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.stdin!.end(`${JSON.stringify({ cmd: 'exit' })}\n`);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}

/** Quiet time after which packets that should not arrive are taken as not arriving. */
const QUIET_MS = 300;
const payloads = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

test('multicast in a private network namespace: ASM join/leave, SSM source filtering', async () => {
  const peers: Peer[] = [];
  let created = false;
  try {
    ip('netns', 'add', NS);
    created = true;
    ip('netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up');
    ip('netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'multicast', 'on');
    ip('netns', 'exec', NS, 'ip', 'route', 'add', '224.0.0.0/4', 'dev', 'lo');
    // A second local address: a source the SSM receiver did not ask for.
    ip('netns', 'exec', NS, 'ip', 'addr', 'add', '10.99.0.1/32', 'dev', 'lo');

    const rx = new Peer();
    const tx = new Peer();
    peers.push(rx, tx);

    // --- any-source multicast ---
    const ASM = '239.255.7.7';
    await rx.do({ cmd: 'open', id: 'asm', port: 5004 });
    await rx.do({ cmd: 'join', id: 'asm', group: ASM, iface: '127.0.0.1' });
    await tx.do({ cmd: 'send', bind: '127.0.0.1', iface: '127.0.0.1', group: ASM, port: 5004, payloads: payloads('asm', 5) });
    await tx.do({ cmd: 'send', bind: '10.99.0.1', iface: '10.99.0.1', group: ASM, port: 5004, payloads: ['asm-other-source'] });
    await rx.waitFor('asm', 6);
    await new Promise((r) => setTimeout(r, QUIET_MS));
    assert.deepEqual(rx.got('asm'), [...payloads('asm', 5), 'asm-other-source'], 'each packet once, from any source');
    assert.match(rx.packets.find((p) => p.id === 'asm')!.from!, /^127\.0\.0\.1:\d+$/);
    await rx.do({ cmd: 'leave', id: 'asm', group: ASM, iface: '127.0.0.1' });
    await tx.do({ cmd: 'send', bind: '127.0.0.1', iface: '127.0.0.1', group: ASM, port: 5004, payloads: payloads('after-leave', 5) });
    await new Promise((r) => setTimeout(r, QUIET_MS));
    assert.equal(rx.got('asm').length, 6, 'nothing arrives after leaving the group');

    // --- source-specific multicast: only 127.0.0.1's packets, not 10.99.0.1's ---
    const SSM = '232.7.7.7';
    await rx.do({ cmd: 'open', id: 'ssm', port: 5006 });
    await rx.do({ cmd: 'joinSSM', id: 'ssm', source: '127.0.0.1', group: SSM, iface: '127.0.0.1' });
    // Control: an any-source member on another port shows the unwanted source's packets do reach the host.
    await rx.do({ cmd: 'open', id: 'control', port: 5008 });
    await rx.do({ cmd: 'join', id: 'control', group: SSM, iface: '127.0.0.1' });
    for (const port of [5006, 5008]) {
      await tx.do({ cmd: 'send', bind: '10.99.0.1', iface: '10.99.0.1', group: SSM, port, payloads: payloads('wrong-source', 3) });
      await tx.do({ cmd: 'send', bind: '127.0.0.1', iface: '127.0.0.1', group: SSM, port, payloads: payloads('right-source', 3) });
    }
    await rx.waitFor('ssm', 3);
    await rx.waitFor('control', 6);
    await new Promise((r) => setTimeout(r, QUIET_MS));
    assert.deepEqual(rx.got('ssm'), payloads('right-source', 3), 'SSM member gets only the chosen source');
    assert.deepEqual(rx.got('control').sort(), [...payloads('right-source', 3), ...payloads('wrong-source', 3)].sort());
    assert.equal(rx.stderr, '');
    assert.equal(tx.stderr, '');
  } finally {
    await Promise.all(peers.map((p) => p.stop()));
    if (created) spawnSync('ip', ['netns', 'del', NS]);
  }
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  assert.ok(!list.includes(NS), 'namespace removed');
});

// The foundation in one screen: a BasicTaskScheduler paces five packets, 100 ms apart, from one
// Groupsock to another on 127.0.0.1; the receiver prints each one with its arrival time on the
// scheduler's clock. Everything is closed afterwards and the process exits by itself.
//
//   node build/examples/scheduler-groupsock-demo.js
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { Groupsock, formatHostPort } from '@dorsvr/groupsock';

const COUNT = 5;
const INTERVAL_US = 100_000;

const scheduler = new BasicTaskScheduler();
scheduler.on('error', (err) => console.error('task failed:', err));
const receiver = await Groupsock.create({ address: '127.0.0.1' });
const sender = await Groupsock.create({ address: '127.0.0.1' });
sender.addDestination(receiver.address, receiver.port);
console.log(`sending ${COUNT} packets ${formatHostPort(sender.address, sender.port)} → ${formatHostPort(receiver.address, receiver.port)}`);

const start = scheduler.now();
const header = new Uint8Array(4); // sequence number, big-endian, sent with the payload as one datagram
const view = new DataView(header.buffer);
let received = 0;

const finished = new Promise<void>((resolve) => {
  // Give up after a second whatever happens, so the demo always ends.
  const deadline = scheduler.scheduleDelayedTask(1_000_000, () => {
    console.error(`only ${received} of ${COUNT} packets arrived`);
    process.exitCode = 1;
    resolve();
  });
  receiver.on('packet', (data, from) => {
    received++;
    const t = ((scheduler.now() - start) / 1000).toFixed(1);
    console.log(`+${t} ms  #${data.readUInt32BE(0)} "${data.subarray(4).toString()}" from ${formatHostPort(from.address, from.port)}`);
    if (received === COUNT) {
      scheduler.unscheduleDelayedTask(deadline);
      resolve();
    }
  });
});

let seq = 0;
const sendNext = (): void => {
  view.setUint32(0, seq);
  sender.send([header, Buffer.from(`hello ${seq}`)]);
  if (++seq < COUNT) scheduler.scheduleDelayedTask(INTERVAL_US, sendNext);
};
scheduler.scheduleDelayedTask(0, sendNext);

await finished;
scheduler.close();
await Promise.all([sender.close(), receiver.close()]);
console.log('done');

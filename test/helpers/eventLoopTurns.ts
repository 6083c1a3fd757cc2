/** Runs `work` while counting the event loop's turns (a setImmediate re-armed each turn). */
export async function countEventLoopTurns(work: () => Promise<void>): Promise<number> {
  let turns = 0;
  let on = true;
  const spin = (): void => {
    turns++;
    if (on) setImmediate(spin);
  };
  setImmediate(spin);
  try {
    await work();
  } finally {
    on = false;
  }
  return turns;
}

// Whether a process still exists, for the launcher's tests, and the temporaries a killed process
// left behind (io/stale-temps.ts).

/** True while process `pid` exists (EPERM: it exists but is not ours). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

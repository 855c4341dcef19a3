/**
 * Where the CPU went during a phase: each of our processes (from /proc/<pid>/stat) and the whole machine
 * (from /proc/stat), so a reader can tell a slow relay from a machine busy with other work. Linux only;
 * elsewhere the figures are absent.
 */
import { readFileSync } from 'node:fs';

const ticksPerSecond = 100; // USER_HZ, 100 on every Linux that Node supports

/** CPU time (user + system) of one process in seconds, or undefined when unreadable. */
function processSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; the fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

/**
 * CPU time of a process and its live children (`start --processes N` runs its workers as children), in
 * seconds. A child that starts or ends during the phase shifts the figure; the supervisor's children
 * live as long as the relay does.
 */
function treeSeconds(pid: number): number | undefined {
  const own = processSeconds(pid);
  if (own === undefined) return undefined;
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    // No children file (not Linux, or the process is gone): its own time only.
  }
  return children.reduce((sum, child) => sum + (processSeconds(child) ?? 0), own);
}

/** Busy and total CPU time of the machine (all cores) in seconds. */
function machineSeconds(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    const total = ticks.reduce((a, b) => a + b, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return { busy: (total - idle) / ticksPerSecond, total: total / ticksPerSecond };
  } catch {
    return undefined;
  }
}

/** CPU use during a phase, in percent of one core. */
export interface CpuUse {
  /** Per process name (e.g. relay, redis, client). */
  processes: Record<string, number>;
  /** All cores busy, in percent of one core (200 = two cores fully busy). */
  machine?: number;
  /** Busy time not accounted to our processes: other work on the machine. */
  others?: number;
}

/** Starts measuring; call the returned function at the end of the phase. */
export function measureCpu(pids: Record<string, number | undefined>): () => CpuUse {
  const startWall = process.hrtime.bigint();
  const startSelf = process.cpuUsage();
  const startProcs = Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [name, pid === undefined ? undefined : treeSeconds(pid)]),
  );
  const startMachine = machineSeconds();
  return () => {
    const wall = Number(process.hrtime.bigint() - startWall) / 1e9;
    const self = process.cpuUsage(startSelf);
    const processes: Record<string, number> = { client: ((self.user + self.system) / 1e6 / wall) * 100 };
    for (const [name, pid] of Object.entries(pids)) {
      const before = startProcs[name];
      const after = pid === undefined ? undefined : treeSeconds(pid);
      if (before !== undefined && after !== undefined) processes[name] = ((after - before) / wall) * 100;
    }
    const endMachine = machineSeconds();
    if (!startMachine || !endMachine) return { processes };
    const machine = ((endMachine.busy - startMachine.busy) / wall) * 100;
    const ours = Object.values(processes).reduce((a, b) => a + b, 0);
    return { processes, machine, others: Math.max(0, machine - ours) };
  };
}

/** `relay 95% redis 40% client 60% | machine 190%, others 0%` */
export function formatCpu(use: CpuUse): string {
  const parts = Object.entries(use.processes).map(([name, pct]) => `${name} ${pct.toFixed(0)}%`);
  const machine =
    use.machine === undefined
      ? ''
      : ` | machine ${use.machine.toFixed(0)}%, other work ${use.others?.toFixed(0)}%`;
  return `${parts.join(' ')}${machine}`;
}

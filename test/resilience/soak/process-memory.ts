import { readFileSync } from 'node:fs';

/** Resident memory of a process as Linux reports it, in MB. */
export interface ProcessMemory {
  /** VmRSS: resident now. */
  rssMb: number;
  /** VmHWM: the highest resident set since the process started. */
  hwmMb: number;
}

/** Reads VmRSS and VmHWM from /proc/<pid>/status (the kernel's figures, not the process's own view). */
export function readProcessMemory(pid: number): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(status);
    if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
    return Number(match[1]);
  };
  return { rssMb: round(kib('VmRSS') / 1024), hwmMb: round(kib('VmHWM') / 1024) };
}

const round = (mb: number) => Math.round(mb * 10) / 10;

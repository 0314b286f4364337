import { cpus, loadavg } from 'node:os';

/** The machine a bench ran on, recorded in every report: load averages at the start and now (the end). */
export interface BenchMachine {
  cpuModel: string;
  logicalCpus: number;
  loadavgAtStart: number[];
  loadavgAtEnd: number[];
  node: string;
}

export function benchMachine(loadavgAtStart: number[]): BenchMachine {
  const cpu = cpus();
  return { cpuModel: cpu[0]?.model ?? 'unknown', logicalCpus: cpu.length, loadavgAtStart, loadavgAtEnd: loadavg(), node: process.version };
}

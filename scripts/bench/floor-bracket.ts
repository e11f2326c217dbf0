import { spawn } from 'node:child_process';
import path from 'node:path';
import { r2 } from './load';
import type { FlatOut } from './real-workers';
import type { FloorRequest, FloorResult } from './spawn-floor';

/** Two floor measurements as one (the machine's load drifts: the phase between them is what they bracket). */
function meanFloor(a: FloorResult, b: FloorResult): FloorResult {
  return {
    runs: a.runs + b.runs, seconds: r2(a.seconds + b.seconds), perSec: Math.round((a.perSec + b.perSec) / 2),
    cpuMsPerSpawn: r2((a.cpuMsPerSpawn * a.runs + b.cpuMsPerSpawn * b.runs) / (a.runs + b.runs)),
  };
}

/** The flat-out phase between two floor runs; the worker CPU beyond the floor uses their mean. */
export async function bracketed(req: FloorRequest, phase: () => Promise<FlatOut>): Promise<{ floor: FloorResult; floors: FloorResult[]; flatOut: FlatOut }> {
  const before = await runFloor(req);
  const raw = await phase();
  const after = await runFloor(req);
  const floor = meanFloor(before, after);
  return { floor, floors: [before, after], flatOut: { ...raw, workerCpuMsPerRun: r2(raw.workerCpuMsPerRun - floor.cpuMsPerSpawn) } };
}

export function runFloor(req: FloorRequest): Promise<FloorResult> {
  const script = path.join(__dirname, 'spawn-floor.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, JSON.stringify(req)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as FloorResult) : reject(new Error(`spawn floor exited ${code}`))));
  });
}


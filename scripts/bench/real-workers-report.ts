import type { RealWorkerOptions, RealWorkerResult } from './real-workers';

/** The report: figures and the ratios the issue's targets are stated in. */
export function describeRealWorkers(r: RealWorkerResult, o: RealWorkerOptions): string {
  const lines: string[] = [];
  const f = r.flatOut;
  lines.push(`spawn floor (plain Node loop, ${o.floorInFlight} in flight, 8 KiB prompt; before / after the flat-out phase): ${r.floors.map((x) => x.perSec).join(' / ')}/s, mean ${r.floor.perSec}/s; ${r.floor.cpuMsPerSpawn} ms CPU per spawn`);
  if (r.posixFloor) lines.push(`the same loop through posix_spawn (the workers' spawn path): ${r.posixFloor.perSec}/s; ${r.posixFloor.cpuMsPerSpawn} ms CPU per spawn`);
  lines.push(`real workers ${o.workers} × ${o.slots}, flat out ${f.runs} runs: ${f.perSec} runs/s = ${(f.perSec / r.floor.perSec).toFixed(2)} of the floor (target ≥ 0.8)` +
    (r.posixFloor ? `, ${(f.perSec / r.posixFloor.perSec).toFixed(2)} of the posix_spawn loop` : ''));
  const beyondPosix = r.posixFloor ? `, beyond the posix_spawn loop's ${(f.workerCpuMsPerRun + r.floor.cpuMsPerSpawn - r.posixFloor.cpuMsPerSpawn).toFixed(2)} ms` : '';
  lines.push(`  worker CPU per run beyond the floor's per spawn: ${f.workerCpuMsPerRun} ms (target ≤ 1.2)${beyondPosix}; orchestrator CPU per run: ${f.orchestratorCpuMsPerRun} ms (target ≤ 1)`);
  for (const p of r.paced) {
    lines.push(`  paced ${p.rate}/s, ${p.subscriptions} subscriptions: event → CLI started p50 ${p.startP50Ms} ms, p99 ${p.startP99Ms} ms (targets ≤ 5 / ≤ 15); orchestrator CPU per run ${p.orchestratorCpuMsPerRun} ms (target ≤ 2)`);
    lines.push(`    stages (p50): event → execution row ${p.stagesP50Ms.toExecution} ms, → claimed ${p.stagesP50Ms.toClaim} ms, → CLI started ${p.stagesP50Ms.toCli} ms`);
  }
  lines.push(`  worker RSS with ${o.slots} busy slots: ${r.workerBusyRssMb.join(', ')} MB (peak ${r.workerPeakRssMb.join(', ')} MB; target ≤ 120); orchestrator RSS ${r.orchestratorRssMb} MB (peak ${r.orchestratorPeakRssMb} MB; target ≤ 200)`);
  if (r.sandbox) {
    const s = r.sandbox;
    lines.push(`sandbox on (bwrap): floor ${s.floors.map((x) => x.perSec).join(' / ')}/s (mean ${s.floor.perSec}/s), ${s.floor.cpuMsPerSpawn} ms CPU per spawn; workers ${s.flatOut.perSec} runs/s = ${(s.flatOut.perSec / s.floor.perSec).toFixed(2)} of it; ` +
      `worker CPU per run beyond the floor ${s.flatOut.workerCpuMsPerRun} ms; orchestrator ${s.flatOut.orchestratorCpuMsPerRun} ms; event → CLI started p50 ${s.startP50Ms} ms, p99 ${s.startP99Ms} ms`);
  }
  if (r.streaming) {
    const s = r.streaming;
    lines.push(`streaming ${o.streamWorkers} × 50, ${s.runs} runs: ${s.lines} lines stored, in order: ${s.linesInOrder ? 'yes' : `NO (${s.problems.join('; ')})`}; ` +
      `${s.followed} SSE followers, ${s.followedLines} live lines: printed → received p50 ${s.lineP50Ms} ms, p99 ${s.lineP99Ms} ms (target ≤ 100); ` +
      `CPU per line: orchestrator ${s.orchestratorCpuMsPerLine} ms, workers ${s.workerCpuMsPerLine} ms`);
  }
  return lines.join('\n');
}

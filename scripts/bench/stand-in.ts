import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The stand-in: notes when it started, reads the prompt to EOF, prints a stream-json run whose
 * result text carries the start time. `--model bench-hold` keeps it 3 s; `--model bench-stream`
 * prints `line <n> <time>` LINES_PER_SEC times a second for SECONDS s (bash builtins only: a read
 * with a timeout on a FIFO nobody writes to is the sleep).
 */
function standIn(fifo: string, linesPerSec: number, seconds: number): string {
  return `#!/bin/bash
t0=$EPOCHREALTIME
mode=
while [ $# -gt 0 ]; do [ "$1" = --model ] && mode=$2; shift; done
cat >/dev/null
echo '{"type":"system","subtype":"init","session_id":"bench","model":"stand-in"}'
if [ "$mode" = bench-hold ]; then exec 3<>${fifo}; read -t 3 -u 3; fi
if [ "$mode" = bench-stream ]; then
  exec 3<>${fifo}
  n=$((${linesPerSec} * ${seconds})); i=0; start=\${EPOCHREALTIME/./}
  while [ $i -lt $n ]; do
    echo "line $i $EPOCHREALTIME"
    i=$((i + 1))
    due=$((start + i * ${Math.round(1_000_000 / linesPerSec)})); now=\${EPOCHREALTIME/./}; wait=$((due - now))
    if [ $wait -gt 0 ]; then printf -v w '0.%06d' $wait; read -t $w -u 3; fi
  done
fi
echo '{"type":"result","subtype":"success","is_error":false,"result":"started='$t0'","total_cost_usd":0,"duration_ms":1,"num_turns":1,"session_id":"bench"}'
`;
}

/** Writes the stand-in (and the FIFO it sleeps on) into `dir`; answers its path. */
export function writeStandIn(dir: string, linesPerSec: number, seconds: number): string {
  const fifo = path.join(dir, 'sleep.fifo');
  execFileSync('mkfifo', ['-m', '0644', fifo]);
  const cli = path.join(dir, 'claude-stand-in');
  fs.writeFileSync(cli, standIn(fifo, linesPerSec, seconds), { mode: 0o755 });
  return cli;
}

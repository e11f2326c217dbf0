import { useState } from 'preact/hooks';
import { api } from '../api';
import { Button, Dialog, Field, InlineError } from '../components/ui';
import { useAction } from '../data';
import { inputValue } from '../format';
import { href, navigate } from '../router';
import type { Persona } from '../types';

/** "Run now": POST /api/execute with the persona and optional input, then follow the run. */
export function RunDialog({ persona, onClose }: { persona: Persona; onClose: () => void }) {
  const [input, setInput] = useState('');
  const submit = useAction(async () => {
    const inputData = inputValue(input);
    const res = await api.post<{ executionId: string }>('execute', { personaId: persona.id, ...(inputData === undefined ? {} : { inputData }) });
    navigate(href('executions', res.executionId));
  });
  return (
    <Dialog title={`Run ${persona.name}`} onClose={onClose} footer={<>
      <Button variant="ghost" onClick={onClose}>Cancel</Button>
      <Button variant="primary" icon="executions" pending={submit.pending} onClick={() => submit.run()}>Run now</Button>
    </>}>
      <p class="muted">The orchestrator assembles the persona's prompt and queues the run for the next free worker slot; you then watch its output live.</p>
      <Field id="run-input" label="Input data (optional)" hint="JSON, or plain text. It goes into the prompt's input section.">
        <textarea id="run-input" rows={5} value={input} onInput={(e) => setInput(e.currentTarget.value)} placeholder='{"mr": 42}' />
      </Field>
      <InlineError error={submit.error} />
    </Dialog>
  );
}

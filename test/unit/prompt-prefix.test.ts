import { assemblePrompt, type PromptInput, type PromptPersona, type PromptTool } from '../../server/domain/prompt';

// The persona's parts are assembled once per persona object and reused; every answer must still be
// what a fresh assembly (a new persona object, so no reuse) gives.
const tool: PromptTool = {
  name: 'gitlab_api', description: 'GitLab REST API', category: 'devops', implementationGuide: 'curl …',
  inputSchema: { type: 'object' }, requiresCredentialType: 'gitlab',
};

const fresh = (input: PromptInput): string => assemblePrompt({ ...input, persona: input.persona && { ...input.persona } });

describe('persona parts reused across runs', () => {
  const persona: PromptPersona = { name: 'Reviewer', description: 'Reviews merge requests', systemPrompt: 'Be brief.', structuredPrompt: null };
  const tools = [tool];
  const run = (over: Partial<PromptInput> = {}): PromptInput => ({
    persona, tools, credentialEnvNames: ['CONNECTOR_GITLAB_TOKEN'], input: { mr: 1 }, task: null, ...over,
  });

  it('answers the same prompt as a fresh assembly, run after run, with each run’s own input and task', () => {
    for (const over of [{}, { input: { mr: 2 } }, { task: 'Look at MR 3' }, { input: null }]) {
      expect(assemblePrompt(run(over))).toBe(fresh(run(over)));
    }
    expect(assemblePrompt(run({ input: { mr: 7 } }))).toContain('"mr": 7');
  });

  it('assembles again when a persona field changed in place', () => {
    const p: PromptPersona = { ...persona };
    const before = assemblePrompt(run({ persona: p }));
    p.systemPrompt = 'Be thorough.';
    const after = assemblePrompt(run({ persona: p }));
    expect(after).not.toBe(before);
    expect(after).toContain('Be thorough.');
    expect(after).toBe(fresh(run({ persona: p })));
  });

  it('assembles again for other tools or other credential names', () => {
    assemblePrompt(run());
    const noTools = assemblePrompt(run({ tools: [] }));
    expect(noTools).not.toContain('## Available Tools');
    expect(noTools).toBe(fresh(run({ tools: [] })));
    const otherNames = assemblePrompt(run({ credentialEnvNames: ['CONNECTOR_SLACK_TOKEN'] }));
    expect(otherNames).toContain('`CONNECTOR_SLACK_TOKEN`');
    expect(otherNames).not.toContain('`CONNECTOR_GITLAB_TOKEN`');
    expect(assemblePrompt(run())).toContain('`CONNECTOR_GITLAB_TOKEN`');
  });
});

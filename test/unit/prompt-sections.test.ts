import { assemblePrompt, PROTOCOL_KEYS, PROTOCOLS, type PromptInput, type PromptTool } from '../../server/domain/prompt';
import { partBody } from '../helpers/prompt-parts';

const base: PromptInput = {
  persona: { name: 'P', description: null, systemPrompt: 'S', structuredPrompt: null },
  tools: [],
  credentialEnvNames: [],
  input: null,
  task: null,
};

const tool: PromptTool = {
  name: 'gitlab_api',
  description: 'GitLab REST API v4',
  category: 'devops',
  implementationGuide: 'curl -H "PRIVATE-TOKEN: $CONNECTOR_GITLAB_TOKEN" https://gitlab.com/api/v4/projects',
  inputSchema: { type: 'object', required: ['project'] },
  requiresCredentialType: 'gitlab',
};

describe('Available Tools', () => {
  it('renders one block per tool with every field', () => {
    expect(partBody(assemblePrompt({ ...base, tools: [tool] }), '## Available Tools')).toBe(
      [
        '### gitlab_api',
        'Description: GitLab REST API v4',
        'Category: devops',
        'Implementation guide:',
        '<tool_implementation_guide>',
        'curl -H "PRIVATE-TOKEN: $CONNECTOR_GITLAB_TOKEN" https://gitlab.com/api/v4/projects',
        '</tool_implementation_guide>',
        'Input schema:',
        '```json',
        '{\n  "type": "object",\n  "required": [\n    "project"\n  ]\n}',
        '```',
        'Requires credential type: gitlab (injected as environment variables)',
      ].join('\n'),
    );
  });

  it('falls back to the curl guide and leaves out empty fields', () => {
    const bare: PromptTool = {
      name: 'ping', description: null, category: '', implementationGuide: '  ', inputSchema: null, requiresCredentialType: null,
    };
    const body = partBody(assemblePrompt({ ...base, tools: [bare] }), '## Available Tools');
    expect(body).toMatch(/^### ping\nImplementation guide:\nNo implementation guide is registered: call the API with `curl`/);
    expect(body).toContain('environment variables');
    expect(body).not.toMatch(/Description:|Category:|Input schema:|Requires credential type:/);
  });

  it('parses a schema stored as JSON text and shows non-JSON text verbatim', () => {
    const prompt = assemblePrompt({
      ...base,
      tools: [
        { ...tool, name: 'a', inputSchema: '{"type":"string"}' },
        { ...tool, name: 'b', inputSchema: 'project: string' },
        { ...tool, name: 'c', inputSchema: '{}' },
      ],
    });
    expect(prompt).toContain('### a\n');
    expect(prompt).toContain('Input schema:\n```json\n{\n  "type": "string"\n}\n```');
    expect(prompt).toContain('Input schema:\n```\nproject: string\n```');
    expect(prompt.slice(prompt.indexOf('### c'))).not.toMatch(/^Input schema:/m);
  });

  it('separates tool blocks by a blank line and is left out without tools', () => {
    const prompt = assemblePrompt({ ...base, tools: [tool, { ...tool, name: 'second' }] });
    expect(prompt).toContain('(injected as environment variables)\n\n### second\n');
    expect(assemblePrompt(base)).not.toContain('## Available Tools');
  });
});

describe('Execution Environment', () => {
  it('states headless Linux, the tools, env credentials and the temporary directory', () => {
    const body = partBody(assemblePrompt(base), '## Execution Environment');
    expect(body).toMatch(/headless on Linux/);
    expect(body).toMatch(/bash, curl, node and git are available/);
    expect(body).toMatch(/Credentials are injected as environment variables/);
    expect(body).toMatch(/working directory is temporary/);
  });
});

describe('Available Credentials', () => {
  const names = ['CONNECTOR_GITLAB_TOKEN', 'CONNECTOR_SLACK_WEBHOOK_URL'];

  it('lists exactly the variable names, one line each', () => {
    const body = partBody(assemblePrompt({ ...base, credentialEnvNames: names }), '## Available Credentials (as environment variables)');
    const lines = body.split('\n');
    expect(lines.slice(1)).toEqual(['- `CONNECTOR_GITLAB_TOKEN`', '- `CONNECTOR_SLACK_WEBHOOK_URL`']);
    expect(lines[0]).toMatch(/never print, echo or log their values/);
  });

  it('drops duplicates and anything that is not a variable name, so no value can slip in', () => {
    const body = partBody(
      assemblePrompt({ ...base, credentialEnvNames: ['A_TOKEN', 'A_TOKEN', 'B=glpat-secret', 'has space', ''] }),
      '## Available Credentials (as environment variables)',
    );
    expect(body.split('\n').slice(1)).toEqual(['- `A_TOKEN`']);
    expect(body).not.toContain('glpat-secret');
  });

  it('is left out when there are no credentials', () => {
    expect(assemblePrompt(base)).not.toContain('## Available Credentials');
  });
});

describe('Communication Protocols', () => {
  const body = partBody(assemblePrompt(base), '## Communication Protocols');

  it('has the seven protocols in order', () => {
    expect(PROTOCOL_KEYS).toEqual([
      'user_message', 'persona_action', 'emit_event', 'agent_memory', 'manual_review', 'execution_flow', 'outcome_assessment',
    ]);
    expect(body.split('\n').filter((l) => l.startsWith('### '))).toEqual([
      '### User Message Protocol',
      '### Persona Action Protocol',
      '### Emit Event Protocol',
      '### Agent Memory Protocol',
      '### Manual Review Protocol',
      '### Execution Flow Protocol',
      '### Outcome Assessment Protocol',
    ]);
  });

  it('shows the exact JSON line of each protocol in a json fence', () => {
    const lines = [
      '{"user_message": {"title": "Deploy done", "content": "v1.4 is live", "content_type": "success", "priority": "normal"}}',
      '{"persona_action": {"target": "reviewer-persona-id", "action": "run", "input": {"mr": 42}}}',
      '{"emit_event": {"type": "review_requested", "data": {"project": "org/app", "mr": 42}}}',
      '{"agent_memory": {"title": "Flaky job", "content": "lint job retries once", "category": "fact", "importance": 6, "tags": ["ci"]}}',
      '{"manual_review": {"title": "Force push on main", "description": "…", "severity": "high", "suggested_actions": ["revert"]}}',
      '{"execution_flow": {"flows": [{"step": 1, "action": "analyze", "status": "completed"}]}}',
      '{"outcome_assessment": {"accomplished": true, "summary": "Reviewed MR 42, two comments posted"}}',
    ];
    for (const line of lines) {
      expect(body).toContain('```json\n' + line + '\n```');
      expect(Object.keys(JSON.parse(line))).toHaveLength(1);
    }
  });

  it('lists each protocol\'s fields with the required ones marked', () => {
    const required: Record<string, string[]> = {
      user_message: ['content'],
      persona_action: ['target'],
      emit_event: ['type'],
      agent_memory: ['title', 'content'],
      manual_review: ['title'],
      execution_flow: ['flows'],
      outcome_assessment: ['accomplished', 'summary'],
    };
    for (const spec of PROTOCOLS) {
      expect(spec.fields.filter((f) => f.required).map((f) => f.name)).toEqual(required[spec.key]);
      const block = body.slice(body.indexOf(spec.heading)).split('\n\n')[0];
      for (const field of spec.fields) {
        expect(block).toContain(`- \`${field.name}\`${field.required ? ' (required)' : ''}: `);
      }
    }
    expect(body).toContain('- `content_type`: "info" | "warning" | "error" | "success", default "info"');
    expect(body).toContain('- `severity`: "low" | "medium" | "high" | "critical", default "medium"');
  });

  it('tells the model one JSON object per line and to always end with outcome_assessment', () => {
    expect(body).toMatch(/each message as one JSON object on its own line/);
    expect(body).toMatch(/Always end your run with an `outcome_assessment` message/);
  });
});

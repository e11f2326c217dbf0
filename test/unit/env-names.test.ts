import { credentialEnv, envSegment } from '../../shared/env-names';

describe('envSegment', () => {
  it.each([
    ['gitlab', 'GITLAB'],
    ['GitLab Prod', 'GITLAB_PROD'],
    ['slack.hook', 'SLACK_HOOK'],
    ['api-url', 'API_URL'],
    ['  spaced  out  ', 'SPACED_OUT'],
    ['a--b__c..d', 'A_B_C_D'],
    ['--lead-and-trail--', 'LEAD_AND_TRAIL'],
    ['token2', 'TOKEN2'],
    ['2fa', '2FA'],
    ['café', 'CAF'],
    ['日本語', ''],
    ['', ''],
    ['___', ''],
  ])('%j -> %j', (name, expected) => {
    expect(envSegment(name)).toBe(expected);
  });
});

describe('credentialEnv', () => {
  it.each<[string, string, string, Record<string, string>]>([
    ['a plain string', 'gitlab', 'glpat-123', { CONNECTOR_GITLAB: 'glpat-123' }],
    ['an empty string', 'gitlab', '', { CONNECTOR_GITLAB: '' }],
    ['a JSON object, one variable per field', 'GitLab Prod', '{"token":"t","api-url":"u"}', {
      CONNECTOR_GITLAB_PROD_TOKEN: 't', CONNECTOR_GITLAB_PROD_API_URL: 'u',
    }],
    ['non-string field values, JSON-encoded', 'db', '{"port":5432,"ssl":true,"opts":{"a":1},"list":[1,2]}', {
      CONNECTOR_DB_PORT: '5432', CONNECTOR_DB_SSL: 'true', CONNECTOR_DB_OPTS: '{"a":1}', CONNECTOR_DB_LIST: '[1,2]',
    }],
    ['null fields, skipped', 'db', '{"user":"u","password":null}', { CONNECTOR_DB_USER: 'u' }],
    ['an empty object', 'db', '{}', {}],
    ['a field whose name has no alphanumerics, named after the credential', 'db', '{"--":"v"}', { CONNECTOR_DB: 'v' }],
    ['a JSON array, kept whole', 'list', '["a","b"]', { CONNECTOR_LIST: '["a","b"]' }],
    ['a JSON string, kept verbatim', 'quoted', '"abc"', { CONNECTOR_QUOTED: '"abc"' }],
    ['a JSON number, kept verbatim', 'num', '42', { CONNECTOR_NUM: '42' }],
    ['JSON null, kept verbatim', 'nul', 'null', { CONNECTOR_NUL: 'null' }],
    ['broken JSON, treated as a plain string', 'broken', '{"token":', { CONNECTOR_BROKEN: '{"token":' }],
    ['a name with no alphanumerics', '***', 'v', { CONNECTOR_CREDENTIAL: 'v' }],
  ])('%s', (_label, name, plaintext, expected) => {
    expect(credentialEnv(name, plaintext)).toEqual(expected);
  });
});

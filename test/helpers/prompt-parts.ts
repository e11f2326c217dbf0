/** The body of the part under `heading` in an assembled prompt, up to the next level-2 heading. */
export function partBody(prompt: string, heading: string): string {
  const start = prompt.indexOf(`\n\n${heading}\n`);
  if (start < 0) throw new Error(`no part ${heading}`);
  const from = start + heading.length + 3;
  const end = prompt.indexOf('\n\n## ', from);
  return prompt.slice(from, end < 0 ? undefined : end);
}

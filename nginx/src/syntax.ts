// Writing nginx config text: quoted strings and indented blocks.

/** A double-quoted nginx string; refuses characters that would change the config's meaning. */
export function quote(value: string): string {
  if (/["$\\\n\r]/.test(value)) throw new Error(`unsupported character in nginx config value: ${value}`);
  return `"${value}"`;
}
const indent = (lines: readonly string[]) => lines.map((l) => (l ? `  ${l}` : l));
export const block = (head: string, body: readonly string[]) => [`${head} {`, ...indent(body), '}'];

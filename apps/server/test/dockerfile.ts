// The Dockerfile beside the deployment files, read as Docker reads it: its stages, and what an image
// built from one stage runs (its ENV, WORKDIR and CMD, inherited through `FROM <stage>`).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const deployDir = fileURLToPath(new URL('../deploy/', import.meta.url));

/** Instructions per stage, by stage name (`#<n>` when unnamed), each starting with its FROM line. */
export function dockerfileStages(text = readFileSync(`${deployDir}Dockerfile`, 'utf8')): Map<string, string[]> {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages = new Map<string, string[]>();
  let current: string[] = [];
  for (const line of lines) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      current = [line];
      stages.set(from[2] ?? `#${stages.size}`, current);
    } else current.push(line);
  }
  return stages;
}

export interface ImageConfig {
  env: Record<string, string>;
  workdir: string;
  cmd: string[];
  user: string | undefined;
}

/** `KEY=value KEY2="v 2"` of an ENV instruction. */
function envPairs(rest: string): [string, string][] {
  return [...rest.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|\S*)/g)].map((m) => [m[1] ?? '', m[3] ?? m[2] ?? '']);
}

/** What a container of the image built from `stage` starts with (no base image's own settings). */
export function imageConfig(stages: Map<string, string[]>, stage: string): ImageConfig {
  const instructions = stages.get(stage);
  if (!instructions) throw new Error(`no stage ${stage} in the Dockerfile`);
  const parent = /^FROM\s+(\S+)/i.exec(instructions[0] ?? '')?.[1] ?? '';
  const config: ImageConfig = stages.has(parent)
    ? structuredClone(imageConfig(stages, parent))
    : { env: {}, workdir: '/', cmd: [], user: undefined };
  for (const line of instructions.slice(1)) {
    const [, keyword = '', rest = ''] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (/^ENV$/i.test(keyword)) Object.assign(config.env, Object.fromEntries(envPairs(rest)));
    else if (/^WORKDIR$/i.test(keyword)) config.workdir = rest;
    else if (/^USER$/i.test(keyword)) config.user = rest;
    else if (/^CMD$/i.test(keyword)) config.cmd = JSON.parse(rest) as string[];
  }
  return config;
}

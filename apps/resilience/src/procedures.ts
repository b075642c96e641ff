// Every procedure of the API, read from the router itself, so a new one is fuzzed without edits here.
import { appRouter } from '@shop/api';
import type { z } from 'zod';
import { jsonSchemaOf } from './arbitraries.ts';

export interface ProcedureInfo {
  path: string;
  type: 'query' | 'mutation' | 'subscription';
  /** JSON Schema of its input, or null when it takes none. */
  input: ReturnType<typeof jsonSchemaOf> | null;
  /** Whether the server's own schema accepts `value` (no input: anything goes). */
  accepts(value: unknown): boolean;
}

interface ProcedureDef {
  _def: { type: ProcedureInfo['type']; inputs: z.ZodType[] };
}

export function procedures(): ProcedureInfo[] {
  return Object.entries(appRouter._def.procedures as unknown as Record<string, ProcedureDef>).map(([path, proc]) => {
    const schema = proc._def.inputs[0];
    return {
      path,
      type: proc._def.type,
      input: schema ? jsonSchemaOf(schema) : null,
      accepts: (value) => !schema || schema.safeParse(value).success,
    };
  });
}

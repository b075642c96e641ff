// Raw SQL rows name a table's columns a second time, beside the entity. A test per row type lists
// each field's column (rowColumnMismatches): the compiler holds the list to the row type, and the
// entity metadata holds it to the table, so neither can drift from the other unnoticed.
import { MikroORM } from '@mikro-orm/postgresql';
import { ormConfig } from '../config.ts';

/** What raw SQL (`sql()`, `connection.execute`) receives for each kind of column. */
interface RawValues {
  uuid: string;
  /** text, varchar(n) and text enums */
  text: string;
  int: number;
  boolean: boolean;
  /** The driver returns int8 as text. */
  bigint: string;
  jsonb: object;
  /** Text: printed by PostgreSQL (the queries format it with to_char). */
  timestamptz: string;
}

export type ColumnKind = keyof RawValues;

/** The kinds whose raw value a field of type `V` can hold, with `?` when the column may be null. */
type KindFor<V> = {
  [K in ColumnKind]: NonNullable<V> extends RawValues[K] ? (null extends V ? `${K}?` : K) : never;
}[ColumnKind];

/** An entity class, as exported by @shop/db (`Order`, `Product`, …). */
type Entity = abstract new (...args: never[]) => object;

/**
 * Where a row field comes from: a column of the same name in the row's table (its kind), a column
 * of another name (`column`) or of a joined table (`of`; `leftJoin` when a missing row makes it
 * null whatever the column allows), or a value the query computes.
 */
export type FieldSource<V> = KindFor<V> | { column: string; of?: Entity; kind: KindFor<V>; leftJoin?: true } | 'computed';

/** Every field of `Row`, each with its source: a field added to the row without one does not compile. */
export type RowColumns<Row> = { [K in keyof Row]-?: FieldSource<Row[K]> };

interface Column {
  kind: string;
  nullable: boolean;
}

let tables: Promise<Map<string, Map<string, Column>>> | undefined;

function kindOf(columnType: string, isEnum: boolean): string {
  const base = columnType.replace(/\(.*\)$/, '');
  if (isEnum || base === 'varchar' || base === 'character varying') return 'text';
  if (base === 'integer' || base === 'int4' || base === 'serial') return 'int';
  if (base === 'int8' || base === 'bigserial') return 'bigint';
  if (base === 'timestamp with time zone') return 'timestamptz';
  return base;
}

/** Every entity's columns by entity name, from MikroORM's metadata (discovered without connecting). */
function entityTables(): Promise<Map<string, Map<string, Column>>> {
  tables ??= (async () => {
    const orm = new MikroORM(ormConfig({ url: 'postgres://metadata-only@127.0.0.1:1/none' }));
    try {
      const byEntity = new Map<string, Map<string, Column>>();
      for (const meta of orm.getMetadata().getAll().values()) {
        const columns = new Map<string, Column>();
        for (const prop of meta.props) {
          prop.fieldNames?.forEach((name, i) => {
            columns.set(name, { kind: kindOf(prop.columnTypes[i] ?? '', prop.enum === true), nullable: prop.nullable === true });
          });
        }
        byEntity.set(meta.className, columns);
      }
      return byEntity;
    } finally {
      await orm.close();
    }
  })();
  return tables;
}

/**
 * How the row type `Row` (described by `columns`) differs from `entity`'s table: one line per field
 * whose column is missing or of another kind or nullability. Empty when they agree.
 */
export async function rowColumnMismatches<Row>(entity: Entity, columns: RowColumns<Row>): Promise<string[]> {
  const byEntity = await entityTables();
  const problems: string[] = [];
  for (const [field, source] of Object.entries(columns as Record<string, FieldSource<unknown>>)) {
    if (source === 'computed') continue;
    const [kindSpec, owner, column] =
      typeof source === 'string' ? [source, entity.name, field] : [source.kind, (source.of ?? entity).name, source.column];
    const expected = { kind: kindSpec.replace(/\?$/, ''), nullable: kindSpec.endsWith('?') };
    const table = byEntity.get(owner);
    const actual = table?.get(column);
    const leftJoin = typeof source === 'object' && source.leftJoin === true;
    if (!table) problems.push(`${field}: no entity ${owner}`);
    else if (!actual) problems.push(`${field}: ${owner} has no column ${column}`);
    else if (actual.kind !== expected.kind || (!leftJoin && actual.nullable !== expected.nullable)) {
      const show = (c: Column) => `${c.kind}${c.nullable ? ' null' : ''}`;
      problems.push(`${field}: the row says ${show(expected)}, ${owner}.${column} is ${show(actual)}`);
    }
  }
  return problems;
}

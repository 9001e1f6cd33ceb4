import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * A hot path's statement, sent with its parameters apart ($1, $2, …) and, unless
 * DATABASE_PREPARED_STATEMENTS=false, as a named prepared statement: PostgreSQL parses and plans
 * it once per pooled connection instead of on every call. MikroORM's raw `execute` inlines the
 * parameters into the SQL text, so each call is parsed and planned anew; for the refresh
 * rotation (a CTE updating one table and inserting into two) that was most of PostgreSQL's work:
 * pgbench on the same statement, 10 clients, 1,630 calls/s inlined against 4,180/s prepared.
 *
 * Parameters carry no types of their own: cast the ones PostgreSQL cannot infer from their
 * column (a SELECT list's, e.g. `$8::uuid`). It takes a connection from the pool directly, so it
 * runs as its own transaction: only for statements that are one atomic unit by themselves,
 * never inside a caller's `transactional()`.
 */
export class PreparedStatement<Row> {
  constructor(
    private readonly name: string,
    private readonly text: string,
  ) {}

  async run(em: EntityManager, values: unknown[], named: boolean): Promise<Row[]> {
    const pool = await em.getConnection().getNativeClient();
    const result = await pool.query(named ? { name: this.name, text: this.text, values } : { text: this.text, values });
    return result.rows as Row[];
  }
}

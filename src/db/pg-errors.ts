/** PostgreSQL's unique_violation (SQLSTATE 23505): a unique index refused the row (a name taken meanwhile). */
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === '23505';
}

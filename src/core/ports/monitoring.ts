/** The monitoring port: row counts per status for the metrics endpoint. */
export interface StatsRepository {
  /** Operations per status. */
  operationsByStatus(): Promise<Map<string, number>>;
  /** Webhook deliveries per status. */
  deliveriesByStatus(): Promise<Map<string, number>>;
}

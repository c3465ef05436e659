/** API keys as the access service keeps them. */
export interface ApiKey {
  id: string;
  name: string;
  keyHash: string;
  /** null = admin key (sees every instance). */
  instances: string[] | null;
  createdAt: string;
}

/** 2Chat's list paging: `page` (from 0) and `per_page`, as its n8n node sends; `page_number` / `results_per_page` as its docs name them. */
import { Type } from '@sinclair/typebox';

const Int = (description: string, example: number) => Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description, examples: [example] }));

export const PagingQuery = {
  page: Int('Page, from 0 (with per_page)', 0),
  per_page: Int('Items per page, 1..1000; absent = every item', 100),
  page_number: Int('Alias of page', 0),
  results_per_page: Int('Alias of per_page', 50),
};

export interface Paging {
  page?: number;
  per_page?: number;
  page_number?: number;
  results_per_page?: number;
}

/** The requested page of `items`; every item when no page size is given. */
export function pageOf<T>(items: T[], q: Paging): T[] {
  const size = q.per_page ?? q.results_per_page;
  const page = q.page ?? q.page_number ?? 0;
  if (size === undefined) return page === 0 ? items : [];
  const n = Math.min(Math.max(size, 1), 1000);
  return items.slice(page * n, page * n + n);
}

/** The counter and pager of a list read page by page (use-paged-list.ts). */
import Pagination from '@cloudscape-design/components/pagination';
import type { PagedList } from '../use-paged-list';
import { PAGINATION_LABELS } from './labels';

/** `(N)` once the whole list was seen, `(N+)` while the API has more: never a made-up total. */
export const listCounter = (list: PagedList<unknown>): string =>
  `(${list.seenCount}${list.openEnd ? '+' : ''})`;

/** Open-ended while the API has a next page: its arrow reads that page. */
export function ListPagination({ list }: { list: PagedList<unknown> }) {
  return (
    <Pagination
      currentPageIndex={list.pageIndex}
      pagesCount={list.pagesCount}
      openEnd={list.openEnd}
      disabled={list.loading}
      onChange={({ detail }) => list.goTo(detail.currentPageIndex)}
      ariaLabels={PAGINATION_LABELS}
    />
  );
}

/** The counter, pager and failed state of a list read page by page (use-paged-list.ts). */
import Box from '@cloudscape-design/components/box';
import Pagination from '@cloudscape-design/components/pagination';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import { describeError, errorText } from '../api/errors';
import type { PagedList } from '../use-paged-list';
import { PAGINATION_LABELS } from './labels';
import { ClearFilters, type ListFiltering, SlotButton } from './list-filters';

/**
 * `(N)` once the whole list was seen, `(N+)` while the API has more: never a made-up total, and
 * none at all while the latest read failed (its "(0)" would say the account has nothing).
 */
export const listCounter = (list: PagedList<unknown>): string | undefined =>
  list.error === undefined ? `(${list.seenCount}${list.openEnd ? '+' : ''})` : undefined;

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

/**
 * The table's empty state when the list could not be read (429, 5xx, no network): says so, with
 * the API's answer and a Retry that waits out its Retry-After, instead of "No gateways". With a
 * filter set, Clear filters too: the API may refuse the filter itself (an owner id it does not
 * take is 400), which Retry only sends again.
 */
export function ListLoadFailed(props: {
  title: string;
  list: PagedList<unknown>;
  filtering: ListFiltering<string>;
}) {
  const { title, list, filtering } = props;
  const wait = describeError(title, list.error).retryAfterSeconds;
  return (
    <Box textAlign="center" color="inherit">
      <SpaceBetween size="xs">
        <StatusIndicator type="error">{title}</StatusIndicator>
        <Box variant="p" color="inherit">
          {errorText(list.error)}
        </Box>
        <Box display="inline-block">
          <SpaceBetween direction="horizontal" size="xs">
            <SlotButton onClick={list.retry}>{wait ? `Retry after ${wait} s` : 'Retry'}</SlotButton>
            {filtering.isSet && <ClearFilters filtering={filtering} />}
          </SpaceBetween>
        </Box>
      </SpaceBetween>
    </Box>
  );
}

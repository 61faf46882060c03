/**
 * The server filters of the lists (VPN Gateways, VPC Peerings), beside their "Find on this page":
 * Status (the API's `status=`, its values the OpenAPI enum's) and, for admins, Owner (`ownerId=`).
 * They live in the address's query, so a reload or a link ("FAILED peerings of alice") keeps them.
 */
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Select, { type SelectProps } from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import TextFilter, { type TextFilterProps } from '@cloudscape-design/components/text-filter';
import { type ReactNode, useMemo } from 'react';
import { focusPageHeading } from '../focus';
import { type ListFilters, listFiltersOf, listQueryOf, replaceQuery, useQuery } from '../router';
import type { PagedList } from '../use-paged-list';
import { OwnerFilter } from './owner-filter';

export interface ListFiltering<S extends string> {
  filters: ListFilters<S>;
  /** What the usePagedList filters are: another value starts the list again from page 1. */
  key: [S | undefined, string | undefined];
  /** A status or owner is set. */
  isSet: boolean;
  set(filters: ListFilters<S>): void;
  clear(): void;
}

/** The filters of the address, for a list of these statuses; an owner only for admins. */
export function useListFilters<S extends string>(statuses: readonly S[], isAdmin: boolean): ListFiltering<S> {
  const query = useQuery();
  const filters = useMemo(() => listFiltersOf(query, statuses, isAdmin), [query, statuses, isAdmin]);
  return {
    filters,
    key: [filters.status, filters.ownerId],
    isSet: filters.status !== undefined || filters.ownerId !== undefined,
    set: (next) => replaceQuery(listQueryOf(next)),
    clear: () => replaceQuery(''),
  };
}

/** "FAILED peerings of owner alice": what a list holds under these filters. */
export function describeFiltered(noun: string, { status, ownerId }: ListFilters): string {
  return [status, noun, ...(ownerId ? ['of owner', ownerId] : [])].filter(Boolean).join(' ');
}

function StatusFilter<S extends string>(props: {
  statuses: readonly S[];
  status: S | undefined;
  onChange(status: S | undefined): void;
}) {
  const all: SelectProps.Option = { label: 'All statuses', value: '' };
  const options = [all, ...props.statuses.map((status) => ({ label: status, value: status }))];
  return (
    <Select
      selectedOption={options.find((option) => option.value === (props.status ?? '')) ?? all}
      onChange={({ detail }) =>
        props.onChange(props.statuses.find((status) => status === detail.selectedOption.value))
      }
      options={options}
      ariaLabel="Filter by status"
      inlineLabelText="Status"
    />
  );
}

/** The find on the page shown (useCollection's filter of the rows loaded), for rows called `noun`. */
export interface PageFind {
  noun: string;
  filterProps: Pick<TextFilterProps, 'filteringText' | 'onChange'>;
  filteredItemsCount: number | undefined;
}

/** The find on the page shown, then Status, then (admins) Owner, as Cloudscape lays out a table's filters. */
export function ListFilterBar<S extends string>(props: {
  find: PageFind;
  statuses: readonly S[];
  filtering: ListFiltering<S>;
  /** The owners of the rows shown; the Owner filter shows only when this is given (admins). */
  owners?: string[];
}) {
  const { filters, set } = props.filtering;
  return (
    <SpaceBetween direction="horizontal" size="xs">
      <TextFilter
        {...props.find.filterProps}
        filteringPlaceholder="Find on this page"
        filteringAriaLabel={`Filter the ${props.find.noun} of this page`}
        countText={`${props.find.filteredItemsCount ?? 0} matches on this page`}
      />
      <StatusFilter
        statuses={props.statuses}
        status={filters.status}
        onChange={(status) => set({ ...filters, status })}
      />
      {props.owners && (
        <OwnerFilter
          ownerId={filters.ownerId}
          owners={props.owners}
          onChange={(ownerId) => set({ ...filters, ownerId })}
        />
      )}
    </SpaceBetween>
  );
}

/**
 * A button of the table's empty or no-match slot, which goes once it is used (the rows or the
 * loading state replace the slot): the page's heading takes the focus first (focus.ts).
 */
export function SlotButton(props: { onClick(): void; children: ReactNode }) {
  return (
    <Button
      onClick={() => {
        focusPageHeading();
        props.onClick();
      }}
    >
      {props.children}
    </Button>
  );
}

/** Clear filters: the server filters and, when given, the find (`clearText`). */
export function ClearFilters(props: { filtering: ListFiltering<string>; clearText?(): void }) {
  return (
    <SlotButton
      onClick={() => {
        props.clearText?.();
        props.filtering.clear();
      }}
    >
      Clear filters
    </SlotButton>
  );
}

/**
 * The table's empty state. While the API has a next page (a filtered page may be empty yet not the
 * last: docs/DECISIONS.md, "Lists, page tokens and the busy hub") it says that none was found in
 * the part read so far, as the counter's `(N+)` and the open pager do, with Next page to read on.
 * Otherwise `unfiltered` when no server filter is set, or which filter found none ("No FAILED
 * peerings"), since the list may well hold others; Clear filters beside either when one is set.
 */
export function FilteredEmpty(props: {
  noun: string;
  filtering: ListFiltering<string>;
  list: PagedList<unknown>;
  unfiltered: ReactNode;
}) {
  const { filtering, list } = props;
  const what = describeFiltered(props.noun, filtering.filters);
  if (list.openEnd) {
    return (
      <Box textAlign="center" color="inherit">
        <SpaceBetween size="xxs">
          <b>
            No {list.seenCount > 0 ? 'further ' : ''}
            {what} found so far
          </b>
          <Box variant="p" color="inherit">
            The list goes on past the part read so far; Next page reads on.
          </Box>
          <Box display="inline-block">
            <SpaceBetween direction="horizontal" size="xs">
              <SlotButton onClick={() => list.goTo(list.pageIndex + 1)}>Next page</SlotButton>
              {filtering.isSet && <ClearFilters filtering={filtering} />}
            </SpaceBetween>
          </Box>
        </SpaceBetween>
      </Box>
    );
  }
  if (!filtering.isSet) return props.unfiltered;
  return (
    <Box textAlign="center" color="inherit">
      <SpaceBetween size="xxs">
        <b>No {what}</b>
        <Box variant="p" color="inherit">
          Other statuses or owners may hold some.
        </Box>
        <ClearFilters filtering={filtering} />
      </SpaceBetween>
    </Box>
  );
}

/**
 * The table's state when "Find on this page" matches nothing on the page shown: other pages may
 * hold a match. Clear filters clears the find (`clearText`) and the server filters.
 */
export function NoMatchOnPage(props: { noun: string; filtering: ListFiltering<string>; clearText(): void }) {
  const { filtering } = props;
  const page = filtering.isSet
    ? `this page of ${describeFiltered(props.noun, filtering.filters)}`
    : 'this page';
  return (
    <Box textAlign="center" color="inherit">
      <SpaceBetween size="xxs">
        <b>No match on this page</b>
        <Box variant="p" color="inherit">
          The find looks at {page} only; other pages may hold a match.
        </Box>
        <ClearFilters filtering={filtering} clearText={props.clearText} />
      </SpaceBetween>
    </Box>
  );
}

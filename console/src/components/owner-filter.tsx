/**
 * The admin's Owner filter of the lists (VPN Gateways, VPC Peerings): the API's `ownerId=`, chosen
 * among the owners seen or typed as an id.
 */
import Select, { type SelectProps } from '@cloudscape-design/components/select';
import { useEffect, useState } from 'react';

const ALL_OWNERS: SelectProps.Option = { label: 'All owners', value: '' };

/**
 * The owner filter's options: the owners seen matching what is typed, and what is typed itself,
 * as an owner id the API filters by (`ownerId=`): the pages seen may not hold every owner.
 */
function ownerOptions(knownOwners: string[], typed: string): SelectProps.Option[] {
  const text = typed.trim();
  const matching = knownOwners.filter((id) => id.includes(text));
  const asTyped =
    text && !knownOwners.includes(text)
      ? [{ label: text, value: text, description: 'This owner id, as typed' }]
      : [];
  return [ALL_OWNERS, ...asTyped, ...matching.map((id) => ({ label: id, value: id }))];
}

/**
 * The owners of every page shown so far, sorted. A row's owner is a real owner whatever the
 * filters of its page; an owner typed that has no items never shows here.
 */
function useKnownOwners(owners: string[]): string[] {
  const [known, setKnown] = useState<string[]>([]);
  useEffect(() => {
    setKnown((before) => {
      const more = owners.filter((id) => id && !before.includes(id));
      return more.length ? [...new Set([...before, ...more])].sort() : before;
    });
  }, [owners]);
  return known;
}

export function OwnerFilter(props: {
  /** The owner filtered by, if any. */
  ownerId: string | undefined;
  /** The owners of the rows shown. */
  owners: string[];
  onChange(ownerId: string | undefined): void;
}) {
  const known = useKnownOwners(props.owners);
  const [typed, setTyped] = useState('');
  const selected = props.ownerId ? { label: props.ownerId, value: props.ownerId } : ALL_OWNERS;
  return (
    <Select
      selectedOption={selected}
      onChange={({ detail }) => props.onChange(detail.selectedOption.value || undefined)}
      options={ownerOptions(known, typed)}
      filteringType="manual"
      onLoadItems={({ detail }) => setTyped(detail.filteringText)}
      filteringPlaceholder="Find or type an owner id"
      filteringAriaLabel="Owner id"
      ariaLabel="Filter by owner"
      inlineLabelText="Owner"
    />
  );
}

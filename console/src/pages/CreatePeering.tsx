/**
 * Create VPC Peering: pick the Remote Gateway among the gateway's peering candidates (ineligible ones
 * disabled, with the reason the API would give), then follow a 202 until the peering settles. The
 * following outlives the page: a person who left meanwhile is told the outcome in a flash, and is
 * not taken back to the gateway from wherever they went. The candidates are the owner's: an admin
 * is told whose (tenant-03's), a user that they are their own.
 */
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Link from '@cloudscape-design/components/link';
import Select, { type SelectProps } from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import { useState } from 'react';
import {
  allPages,
  api,
  call,
  callWithStatus,
  PAGE_SIZE,
  type Peering,
  type PeeringCandidate,
} from '../api/client';
import { formErrorText, isNotFound, PeeringEndedError } from '../api/errors';
import { IdempotencyKey } from '../api/idempotency';
import type { Identity } from '../auth/session';
import { GatewayBreadcrumbs } from '../components/gateway-breadcrumbs';
import { GatewayNotFound } from '../components/gateway-not-found';
import { useRetryWait, WaitingButton } from '../components/retry-wait';
import { useDraft } from '../drafts';
import { ownersWord } from '../lib/format';
import { useNotifications } from '../notifications';
import { usePageTitle } from '../page-title';
import { followInApp, gatewayHref, navigate } from '../router';
import { useLoad } from '../use-load';
import { useMounted } from '../while-mounted';
import { loadGateway, pollUntil } from './gateway-data';

export function candidateOption(candidate: PeeringCandidate): SelectProps.Option {
  const { gateway } = candidate;
  const where = `${gateway.vpcId} · ${gateway.vpcCidr} · tunnel ${gateway.tunnelSubnet}`;
  return {
    label: gateway.name || gateway.id,
    value: gateway.id,
    description: candidate.eligible ? where : `${where} · ${candidate.reason ?? 'Not eligible'}`,
    disabled: !candidate.eligible,
    ...(candidate.eligible ? {} : { disabledReason: candidate.reason ?? 'Not eligible' }),
  };
}

export function CreatePeering({ id, identity }: { id: string; identity: Identity }) {
  const { notify, reportError } = useNotifications();
  // A 404 is the page's own "not found" state, not a flash.
  const gateway = useLoad(`Loading gateway ${id}`, () => loadGateway(id), [id], { shownByPage: isNotFound });
  const candidates = useLoad(
    `Loading the peering candidates of ${id}`,
    () =>
      allPages((nextToken) =>
        call(
          api().GET('/v1/gateways/{id}/peering-candidates', {
            params: { path: { id }, query: { limit: PAGE_SIZE, ...(nextToken ? { nextToken } : {}) } },
          }),
        ),
      ).then((listed) => listed.items),
    [id],
    { shownByPage: isNotFound },
  );
  const mounted = useMounted();
  // The remote gateway's id, kept as a draft across a sign-in (drafts.ts).
  const [draft, setDraft, discardDraft] = useDraft('create-peering', { remoteGatewayId: '' });
  const [progress, setProgress] = useState<Peering>();
  const [busy, setBusy] = useState(false);
  const [missing, setMissing] = useState(false);
  const [formError, setFormError] = useState<unknown>();
  const [idempotency] = useState(() => new IdempotencyKey());
  const wait = useRetryWait();
  const name = gateway.data?.name || id;
  const notFound = isNotFound(gateway.error);
  // GatewayNotFound titles the page it shows instead.
  usePageTitle(notFound ? undefined : 'Create VPC Peering', name);
  // "your" to a user; to an admin the owner whose gateways these are (lib/format.ts).
  const whose = ownersWord(identity.isAdmin, gateway.data?.ownerId);
  const Whose = ownersWord(identity.isAdmin, gateway.data?.ownerId, true);
  const options = (candidates.data ?? []).map(candidateOption);
  const selected = options.find((option) => option.value === draft.remoteGatewayId) ?? null;

  const create = async () => {
    if (busy || wait.secondsLeft > 0) return;
    if (!selected?.value) {
      setMissing(true);
      return;
    }
    setBusy(true);
    setFormError(undefined);
    const body = { remoteGatewayId: selected.value };
    const remoteName = selected.label ?? selected.value;
    let created: { data: Peering; status: number };
    try {
      created = await wait.send(
        callWithStatus(
          api().POST('/v1/gateways/{id}/vpc-peerings', {
            params: { path: { id }, header: { 'Idempotency-Key': idempotency.for(body) } },
            body,
          }),
          'Create VPC Peering',
        ),
      );
    } catch (error) {
      // Nothing created: said in the form, whose Create Peering sends the same request again.
      if (mounted()) setFormError(error);
      else reportError('Creating the VPC peering', error);
      setBusy(false);
      return;
    }
    // Created (201 or 202): the next Create Peering is another request.
    idempotency.reset();
    discardDraft();
    try {
      let settled = created.data;
      if (created.status === 202) {
        // Still provisioning: show it and follow the peering until it settles.
        setProgress(settled);
        await pollUntil(async () => {
          settled = await call(api().GET('/v1/vpc-peerings/{id}', { params: { path: { id: settled.id } } }));
          setProgress(settled);
          return settled.status !== 'PROVISIONING';
        });
      }
      if (settled.status !== 'ACTIVE') {
        throw new PeeringEndedError(settled.id, settled.status, settled.statusReason ?? undefined);
      }
      const active = `VPC peering ${settled.id} with ${remoteName} is active.`;
      if (mounted()) {
        notify({ type: 'success', content: active });
        navigate(gatewayHref(id));
      } else {
        notify({
          type: 'success',
          content: (
            <>
              {active}{' '}
              <Link color="inverted" href={gatewayHref(id)} onFollow={followInApp}>
                Open {name}
              </Link>
            </>
          ),
        });
      }
    } catch (error) {
      setProgress(undefined);
      reportError('Creating the VPC peering', error);
    } finally {
      setBusy(false);
    }
  };

  if (notFound) return <GatewayNotFound id={id} isAdmin={identity.isAdmin} />;

  return (
    <SpaceBetween size="m">
      <GatewayBreadcrumbs
        id={id}
        name={name}
        form={{ text: 'Create VPC Peering', href: `${gatewayHref(id)}/create-peering` }}
      />
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void create();
        }}
      >
        <Form
          errorText={formError !== undefined ? formErrorText(formError) : undefined}
          header={
            <Header
              variant="h1"
              description={`Connect the VPC of ${name} with the VPC of another of ${whose} gateways. Both gateways are configured in one step.`}
            >
              Create VPC Peering
            </Header>
          }
          actions={
            <SpaceBetween direction="horizontal" size="xs">
              <Button
                variant="link"
                href={gatewayHref(id)}
                onFollow={(event) => {
                  discardDraft();
                  followInApp(event);
                }}
                disabled={busy}
              >
                Cancel
              </Button>
              <WaitingButton variant="primary" loading={busy} formAction="submit" wait={wait}>
                Create Peering
              </WaitingButton>
            </SpaceBetween>
          }
        >
          <Container header={<Header variant="h2">Peering</Header>}>
            <SpaceBetween size="l">
              <FormField
                label="Remote Gateway"
                description={`${Whose} other active gateways in other VPCs. Gateways that cannot be peered are shown disabled, with the reason.`}
                errorText={missing && !selected ? 'Choose a remote gateway.' : undefined}
              >
                <Select
                  selectedOption={selected}
                  onChange={({ detail }) => {
                    setDraft({ remoteGatewayId: detail.selectedOption.value ?? '' });
                    setMissing(false);
                  }}
                  options={options}
                  placeholder="Choose a gateway"
                  statusType={
                    candidates.loading ? 'loading' : candidates.error !== undefined ? 'error' : 'finished'
                  }
                  loadingText="Loading candidates"
                  errorText="The candidates could not be loaded."
                  recoveryText="Retry"
                  // The recovery link asks for the same page again; opening the list asks for none.
                  onLoadItems={({ detail }) => {
                    if (detail.samePage) candidates.reload();
                  }}
                  empty="No other active gateway in another VPC"
                  disabled={busy}
                />
              </FormField>
              {progress && (
                // A wait of unknown length: an in-progress status, not a bar stuck at 0 %.
                <div role="status">
                  <SpaceBetween size="xxs">
                    <StatusIndicator type="in-progress">{`Peering ${progress.id}: ${progress.status}`}</StatusIndicator>
                    <Box variant="small">
                      Configuring both gateways. This page follows the peering until it is active.
                      {progress.statusReason ? ` ${progress.statusReason}` : ''}
                    </Box>
                  </SpaceBetween>
                </div>
              )}
              {options.length > 0 && options.every((option) => option.disabled) && (
                <Alert type="info">
                  None of {whose} other gateways can be peered with {name} now.
                </Alert>
              )}
            </SpaceBetween>
          </Container>
        </Form>
      </form>
    </SpaceBetween>
  );
}

/** A gateway: its summary, its configuration sync, and its Peers table with their actions. */
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import ContentLayout from '@cloudscape-design/components/content-layout';
import CopyToClipboard from '@cloudscape-design/components/copy-to-clipboard';
import Header from '@cloudscape-design/components/header';
import KeyValuePairs from '@cloudscape-design/components/key-value-pairs';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import { useEffect, useRef, useState } from 'react';
import { api, call, callWithStatus, type GatewayStatus } from '../api/client';
import { isNotFound } from '../api/errors';
import { IdempotencyKey } from '../api/idempotency';
import type { Identity } from '../auth/session';
import { GatewayStatusBadge } from '../components/badges';
import { DeleteGatewayModal } from '../components/delete-gateway-modal';
import { GatewayBreadcrumbs } from '../components/gateway-breadcrumbs';
import { GatewayNotFound } from '../components/gateway-not-found';
import { AddPeerModal, DeletePeerModal, QrCodeModal } from '../components/peer-modals';
import { PeersTable } from '../components/peers-table';
import { useRetryWait } from '../components/retry-wait';
import { readDraft } from '../drafts';
import { focusHeading, focusIsLost } from '../focus';
import {
  configFileName,
  gatewayTitle,
  isPeeringPeer,
  notReportingLabel,
  PEERING_PEER_PREFIX,
  shownOwner,
  syncLabel,
  syncState,
} from '../lib/format';
import { gatewaysListHref } from '../list-return';
import { useNotifications } from '../notifications';
import { usePageTitle } from '../page-title';
import { navigate } from '../router';
import { useLoad } from '../use-load';
import { useMounted } from '../while-mounted';
import {
  behindSince,
  downloadConfig,
  loadGateway,
  loadStatus,
  saveFile,
  untilPeeringGone,
} from './gateway-data';

function SyncIndicator({ status, failed }: { status: GatewayStatus | undefined; failed: boolean }) {
  if (!status && failed) return <StatusIndicator type="error">Not loaded</StatusIndicator>;
  if (!status) return <StatusIndicator type="loading">Loading</StatusIndicator>;
  const now = Date.now();
  const state = syncState(status.appliedGeneration, status.desiredGeneration, behindSince(status, now), now);
  const type = state.kind === 'in-sync' ? 'success' : state.kind === 'applying' ? 'in-progress' : 'warning';
  const sync = <StatusIndicator type={type}>{syncLabel(state)}</StatusIndicator>;
  // The applied generation is what the gateway last said: a gateway that stopped reporting may
  // since have lost it (docs/DECISIONS.md, "Durability and truthful status").
  if (!status.stale) return sync;
  return (
    <SpaceBetween size="xxs">
      {sync}
      <StatusIndicator type="warning">{notReportingLabel(status.reportedAt)}</StatusIndicator>
    </SpaceBetween>
  );
}

type Dialog =
  | { kind: 'delete-peer'; peerName: string }
  | { kind: 'add-peer' }
  | { kind: 'qr'; peerName: string; config: string }
  | { kind: 'delete-gateway' };

export function GatewayDetails({ id, identity }: { id: string; identity: Identity }) {
  const { notify, reportError } = useNotifications();
  // A 404 is the page's own "not found" state, not a flash. Status is declared first: reads started
  // together (the first load, Refresh) then order status before the registry, which counts as current.
  const status = useLoad(`Loading the status of ${id}`, () => loadStatus(id), [id], {
    shownByPage: isNotFound,
  });
  const gateway = useLoad(`Loading gateway ${id}`, () => loadGateway(id), [id], { shownByPage: isNotFound });
  const mounted = useMounted();
  // A draft of Add peer left by a session that ended mid-dialog opens it again (drafts.ts).
  const [dialog, setDialog] = useState<Dialog | undefined>(() =>
    readDraft('add-peer') ? { kind: 'add-peer' } : undefined,
  );
  // Held while a request of a dialog waits for its answer, not while its outcome is followed.
  const [busy, setBusy] = useState(false);
  /** Peering peers whose delete was accepted (202), followed until their peering is gone. */
  const [deleting, setDeleting] = useState<ReadonlySet<string>>(new Set());
  const [formError, setFormError] = useState<unknown>();
  const [addPeerKey] = useState(() => new IdempotencyKey());
  // One wait for the page's dialogs: a throttled caller is throttled whichever dialog sends next.
  const wait = useRetryWait();
  const ready = !busy && wait.secondsLeft === 0;
  const detail = gateway.data;
  // Peers the registry lacks are removed only if its read did not fail and started no earlier than
  // the status read: an older registry shows a peer added since as removed (docs/DECISIONS.md, "The
  // console shows what status says").
  const registryCurrent =
    gateway.error === undefined &&
    gateway.readOrder !== undefined &&
    status.readOrder !== undefined &&
    gateway.readOrder > status.readOrder;
  const name = detail?.name || id;
  // An admin acts for the gateway's owner: dialogs and messages name it (lib/format.ts).
  const owner = shownOwner(identity.isAdmin, detail?.ownerId);
  const title = gatewayTitle(name, owner);
  const notFound = isNotFound(gateway.error);
  // GatewayNotFound titles the page it shows instead.
  usePageTitle(notFound ? undefined : name, 'VPN Gateways');
  const refresh = () => {
    gateway.reload();
    status.reload();
  };
  // A deleted peer's row took the focus (its Delete button) with it: the Peers heading takes it.
  const peersRef = useRef<HTMLDivElement>(null);
  const [deletedPeer, setDeletedPeer] = useState<string>();
  useEffect(() => {
    if (!deletedPeer || detail?.peers.some((peer) => peer.name === deletedPeer)) return;
    setDeletedPeer(undefined);
    if (focusIsLost()) focusHeading(peersRef.current, 'h2');
  }, [deletedPeer, detail]);

  const deletePeer = async (peerName: string) => {
    if (!ready) return;
    setBusy(true);
    let answered: number;
    try {
      ({ status: answered } = await wait.send(
        callWithStatus(
          api().DELETE('/v1/gateways/{id}/peers/{name}', { params: { path: { id, name: peerName } } }),
          `Delete peer ${peerName}`,
        ),
      ));
    } catch (error) {
      const held = wait.holds(error);
      if (!held) setDialog(undefined);
      // 404: someone else deleted it first; what the person asked for is done.
      if (isNotFound(error)) peerGone(peerName, `Peer ${peerName} was already deleted.`);
      else {
        reportError(`Deleting peer ${peerName}`, error, held ? undefined : () => void deletePeer(peerName));
        // The peer may have changed meanwhile (being deleted, gone): the table shows where it stands.
        if (!held && mounted()) refresh();
      }
      return;
    } finally {
      // The DELETE has answered: following its peering holds none of the page's other dialogs.
      setBusy(false);
    }
    setDialog(undefined);
    // 204 when done, 202 while running: a peering's peer goes once its peering is gone (404); a
    // road-warrior has left the registry already, its removal is being pushed.
    if (answered !== 202 || !isPeeringPeer(peerName)) {
      peerGone(peerName, `Peer ${peerName} deleted.`);
      return;
    }
    setDeleting((all) => new Set(all).add(peerName));
    try {
      await untilPeeringGone(peerName.slice(PEERING_PEER_PREFIX.length));
      peerGone(peerName, `Peer ${peerName} deleted.`);
    } catch (error) {
      reportError(`Deleting peer ${peerName}`, error, () => void deletePeer(peerName));
      if (mounted()) refresh();
    } finally {
      setDeleting((all) => new Set([...all].filter((name) => name !== peerName)));
    }
  };

  /** A peer is gone: said in a flash, wherever the person is; the table follows while it is shown. */
  const peerGone = (peerName: string, content: string) => {
    notify({ type: 'success', content });
    if (!mounted()) return;
    setDeletedPeer(peerName);
    refresh();
  };

  /** True when the dialog is done with its input: the peer was added, or its gateway is gone. */
  const addPeer = async (input: { name: string; publicKey?: string }): Promise<boolean> => {
    if (!ready) return false;
    setBusy(true);
    setFormError(undefined);
    try {
      await wait.send(
        call(
          api().POST('/v1/gateways/{id}/peers', {
            params: { path: { id }, header: { 'Idempotency-Key': addPeerKey.for(input) } },
            body: input,
          }),
          `Add peer ${input.name}`,
        ),
      );
      setDialog(undefined);
      addPeerKey.reset();
      notify({
        type: 'success',
        content: `Peer ${input.name} added. Download its config from the Peers table.`,
      });
      refresh();
      return true;
    } catch (error) {
      if (isNotFound(error) && mounted()) {
        // The gateway was deleted meanwhile: a dialog that can only 404 again closes, and the page
        // reads the gateway again to show it not found, as a delete's 404 does.
        setDialog(undefined);
        notify({
          type: 'info',
          content: `Peer ${input.name} was not added: gateway ${name} no longer exists.`,
        });
        refresh();
        return true;
      }
      // Shown in the dialog, where the person is; its Add peer sends the same request again.
      if (mounted()) setFormError(error);
      else reportError(`Adding peer ${input.name}`, error);
      return false;
    } finally {
      setBusy(false);
    }
  };

  const fetchConfig = async (peerName: string, then: (config: string) => void) => {
    try {
      then(await downloadConfig(id, peerName));
      // The download is recorded on the peer: its "Outdated" warning is gone.
      gateway.reload();
    } catch (error) {
      if (isNotFound(error)) {
        // Removed meanwhile (docs/CONTRACT.md): the table is read again without it.
        notify({ type: 'info', content: `Peer ${peerName} no longer exists: it was deleted.` });
        refresh();
      } else reportError(`Getting the config of ${peerName}`, error, () => void fetchConfig(peerName, then));
    }
  };

  const deleteGateway = async () => {
    if (!ready) return;
    setBusy(true);
    try {
      await wait.send(
        call(api().DELETE('/v1/gateways/{id}', { params: { path: { id } } }), `Delete gateway ${title}`),
      );
      setDialog(undefined);
      notify({
        type: 'success',
        content: `Gateway ${title} is being deleted; its peerings are removed on both sides.`,
      });
      if (mounted()) navigate(gatewaysListHref());
    } catch (error) {
      const held = wait.holds(error);
      if (!held) setDialog(undefined);
      if (isNotFound(error)) {
        // Someone else deleted it first; what the person asked for is done.
        notify({ type: 'success', content: `Gateway ${title} was already deleted.` });
        if (mounted()) navigate(gatewaysListHref());
      } else reportError(`Deleting gateway ${title}`, error, held ? undefined : () => void deleteGateway());
    } finally {
      setBusy(false);
    }
  };

  if (notFound) return <GatewayNotFound id={id} isAdmin={identity.isAdmin} />;

  return (
    <ContentLayout
      breadcrumbs={<GatewayBreadcrumbs id={id} name={name} />}
      header={
        <Header
          variant="h1"
          description={owner ? `Owner: ${owner}` : undefined}
          actions={
            <SpaceBetween direction="horizontal" size="xs">
              <Button iconName="refresh" ariaLabel="Refresh gateway" onClick={refresh} />
              <Button disabled={!detail} onClick={() => setDialog({ kind: 'delete-gateway' })}>
                Delete gateway
              </Button>
              <Button
                variant="primary"
                disabled={!detail}
                onClick={() => navigate(`/gateways/${encodeURIComponent(id)}/create-peering`)}
              >
                Create VPC Peering
              </Button>
            </SpaceBetween>
          }
        >
          {name}
        </Header>
      }
    >
      <SpaceBetween size="l">
        <Container header={<Header variant="h2">Summary</Header>}>
          {detail ? (
            <KeyValuePairs
              columns={3}
              items={[
                { label: 'VPC', value: detail.vpcId },
                { label: 'VPC CIDR', value: detail.vpcCidr },
                { label: 'Tunnel subnet', value: `${detail.tunnelSubnet} (gateway ${detail.tunnelIp})` },
                { label: 'Public endpoint', value: `${detail.publicIp}:${detail.listenPort}` },
                {
                  label: 'Public key',
                  value: (
                    <CopyToClipboard
                      variant="inline"
                      textToCopy={detail.publicKey}
                      copyButtonAriaLabel="Copy public key"
                      copySuccessText="Public key copied"
                      copyErrorText="Public key not copied"
                    />
                  ),
                },
                {
                  label: 'Configuration sync',
                  value: <SyncIndicator status={status.data} failed={status.error !== undefined} />,
                },
                { label: 'Status', value: <GatewayStatusBadge status={detail.status} /> },
                { label: 'Location', value: detail.location || '-' },
                { label: 'Owner', value: detail.ownerId },
              ]}
            />
          ) : gateway.error !== undefined && !gateway.loading ? (
            <SpaceBetween direction="horizontal" size="xs" alignItems="center">
              <StatusIndicator type="error">Not loaded</StatusIndicator>
              <Button onClick={refresh}>Retry</Button>
            </SpaceBetween>
          ) : (
            <StatusIndicator type="loading">Loading</StatusIndicator>
          )}
        </Container>
        <div ref={peersRef}>
          <PeersTable
            peers={detail?.peers}
            peersTruncated={detail?.peersTruncated === true}
            registryCurrent={registryCurrent}
            deleting={deleting}
            status={status.data}
            loading={gateway.loading}
            onAddPeer={() => {
              setFormError(undefined);
              addPeerKey.reset();
              setDialog({ kind: 'add-peer' });
            }}
            onDelete={(peerName) => setDialog({ kind: 'delete-peer', peerName })}
            onDownload={(peerName) =>
              fetchConfig(peerName, (config) => saveFile(configFileName(name, peerName), config))
            }
            onShowQr={(peerName) =>
              fetchConfig(peerName, (config) => setDialog({ kind: 'qr', peerName, config }))
            }
          />
        </div>
      </SpaceBetween>
      {dialog?.kind === 'delete-peer' && (
        <DeletePeerModal
          gatewayName={title}
          peerName={dialog.peerName}
          busy={busy}
          wait={wait}
          onConfirm={() => deletePeer(dialog.peerName)}
          onCancel={() => setDialog(undefined)}
        />
      )}
      {dialog?.kind === 'add-peer' && (
        <AddPeerModal
          busy={busy}
          wait={wait}
          error={formError}
          onSubmit={addPeer}
          onCancel={() => setDialog(undefined)}
        />
      )}
      {dialog?.kind === 'qr' && (
        <QrCodeModal
          title={configFileName(name, dialog.peerName)}
          config={dialog.config}
          onClose={() => setDialog(undefined)}
        />
      )}
      {dialog?.kind === 'delete-gateway' && detail && (
        <DeleteGatewayModal
          gatewayName={name}
          ownerId={owner}
          peeringCount={detail.peers.filter((peer) => peer.type === 'vpc-peering').length}
          busy={busy}
          wait={wait}
          onConfirm={deleteGateway}
          onCancel={() => setDialog(undefined)}
        />
      )}
    </ContentLayout>
  );
}

/** Dialogs of the Peers table: delete a peer, add a road-warrior, show a config as a QR code. */
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Input, { type InputProps } from '@cloudscape-design/components/input';
import Modal from '@cloudscape-design/components/modal';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Spinner from '@cloudscape-design/components/spinner';
import { useEffect, useRef, useState } from 'react';
import { formErrors } from '../api/errors';
import { useDraft } from '../drafts';
import { isPeeringPeer } from '../lib/format';
import { whileMounted } from '../while-mounted';
import { type RetryWait, WaitingButton } from './retry-wait';

/**
 * A dialog's text field that takes the focus when the dialog opens. The dialog mounts in a portal and
 * then focuses its first control (Close) itself; this waits for that, then moves the focus here.
 */
export function useFocusOnOpen() {
  const input = useRef<InputProps.Ref>(null);
  useEffect(() => {
    let frames = 0;
    let frame = requestAnimationFrame(function attempt() {
      const dialogHasFocus = document.activeElement?.closest('[role="dialog"]') != null;
      frames += 1;
      if (input.current && dialogHasFocus) input.current.focus();
      else if (frames < 120) frame = requestAnimationFrame(attempt);
    });
    return () => cancelAnimationFrame(frame);
  }, []);
  return input;
}

export function DeletePeerModal(props: {
  gatewayName: string;
  peerName: string;
  busy: boolean;
  wait: RetryWait;
  onConfirm(): void;
  onCancel(): void;
}) {
  const peering = isPeeringPeer(props.peerName);
  return (
    <Modal
      closeAriaLabel="Close dialog"
      visible
      onDismiss={props.onCancel}
      header={`Delete ${props.peerName}?`}
      footer={
        <Box float="right">
          <SpaceBetween direction="horizontal" size="xs">
            <Button variant="link" onClick={props.onCancel}>
              Cancel
            </Button>
            <WaitingButton variant="primary" loading={props.busy} onClick={props.onConfirm} wait={props.wait}>
              Delete
            </WaitingButton>
          </SpaceBetween>
        </Box>
      }
    >
      <SpaceBetween size="s">
        <Box variant="p">
          Delete peer <b>{props.peerName}</b> from gateway <b>{props.gatewayName}</b>?
        </Box>
        {peering ? (
          <Alert type="warning">
            This peer is one side of a VPC peering. The remote gateway's peer is removed too, and traffic
            between the two VPCs stops.
          </Alert>
        ) : (
          <Box variant="p">The client using this peer can no longer connect.</Box>
        )}
      </SpaceBetween>
    </Modal>
  );
}

export function AddPeerModal(props: {
  busy: boolean;
  wait: RetryWait;
  /** The failure of the last submission, whatever it was: shown here, not behind the dialog. */
  error: unknown;
  /** Resolves true once the peer is added. */
  onSubmit(input: { name: string; publicKey?: string }): Promise<boolean>;
  onCancel(): void;
}) {
  // A name and the client's public key: nothing secret for the draft to hold.
  const [input, setInput, discardDraft] = useDraft('add-peer', { name: '', publicKey: '' });
  const { name, publicKey } = input;
  const cancel = () => {
    discardDraft();
    props.onCancel();
  };
  const shown = formErrors(props.error, ['name', 'publicKey'] as const);
  const nameInput = useFocusOnOpen();
  const submit = () =>
    void props
      .onSubmit({ name: name.trim(), ...(publicKey.trim() ? { publicKey: publicKey.trim() } : {}) })
      .then((added) => added && discardDraft());
  // Two fields and no submit button in the form (the dialog's footer has it): Enter submits here.
  const submitOnEnter: InputProps['onKeyDown'] = ({ detail }) => {
    if (detail.key === 'Enter' && !props.busy) submit();
  };
  return (
    <Modal
      closeAriaLabel="Close dialog"
      visible
      onDismiss={cancel}
      header="Add peer"
      footer={
        <Box float="right">
          <SpaceBetween direction="horizontal" size="xs">
            <Button variant="link" onClick={cancel}>
              Cancel
            </Button>
            <WaitingButton variant="primary" loading={props.busy} onClick={submit} wait={props.wait}>
              Add peer
            </WaitingButton>
          </SpaceBetween>
        </Box>
      }
    >
      <form
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <Form errorText={shown.form}>
          <SpaceBetween size="m">
            <FormField
              label="Name"
              description="Lowercase letters, digits or '-', for example laptop."
              errorText={shown.fields.name}
            >
              <Input
                ref={nameInput}
                value={name}
                onChange={({ detail }) => setInput((all) => ({ ...all, name: detail.value }))}
                onKeyDown={submitOnEnter}
              />
            </FormField>
            <FormField
              label={
                <span>
                  Public key <i>- optional</i>
                </span>
              }
              description="The client's own WireGuard public key. Leave empty to have a key pair generated; its private key is in the downloaded config."
              errorText={shown.fields.publicKey}
            >
              <Input
                value={publicKey}
                onChange={({ detail }) => setInput((all) => ({ ...all, publicKey: detail.value }))}
                onKeyDown={submitOnEnter}
              />
            </FormField>
          </SpaceBetween>
        </Form>
      </form>
    </Modal>
  );
}

export function QrCodeModal(props: { title: string; config: string; onClose(): void }) {
  const [image, setImage] = useState<string>();
  const [failure, setFailure] = useState<string>();
  useEffect(() => {
    // Loaded on demand: the QR encoder stays out of the initial bundle.
    return whileMounted(
      import('qrcode').then((qr) =>
        qr.toDataURL(props.config, { errorCorrectionLevel: 'M', margin: 2, width: 320 }),
      ),
      setImage,
      (error) => setFailure(error instanceof Error ? error.message : String(error)),
    );
  }, [props.config]);
  return (
    <Modal
      closeAriaLabel="Close dialog"
      visible
      onDismiss={props.onClose}
      header={props.title}
      footer={
        <Box float="right">
          <Button variant="primary" onClick={props.onClose}>
            Close
          </Button>
        </Box>
      }
    >
      <SpaceBetween size="s" alignItems="center">
        {failure && <Alert type="error">{failure}</Alert>}
        {!image && !failure && <Spinner size="large" />}
        {image && <img src={image} width={320} height={320} alt={`QR code of ${props.title}`} />}
        <Box variant="small">Scan it with the WireGuard app: Add a tunnel, Create from QR code.</Box>
      </SpaceBetween>
    </Modal>
  );
}

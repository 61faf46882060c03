/**
 * Deleting a gateway cascades to every peering it has: the name is typed to confirm. An admin is
 * told whose gateway it is (`ownerId`): names are free text, and every tenant may have a "prod".
 */
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import FormField from '@cloudscape-design/components/form-field';
import Input from '@cloudscape-design/components/input';
import Modal from '@cloudscape-design/components/modal';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { useState } from 'react';
import { gatewayTitle } from '../lib/format';
import { useFocusOnOpen } from './peer-modals';
import { type RetryWait, WaitingButton } from './retry-wait';

export function DeleteGatewayModal(props: {
  gatewayName: string;
  /** The owner, named to admins (`shownOwner`); users' gateways are always their own. */
  ownerId?: string | undefined;
  peeringCount: number;
  busy: boolean;
  wait: RetryWait;
  onConfirm(): void;
  onCancel(): void;
}) {
  const [typed, setTyped] = useState('');
  const confirmed = typed === props.gatewayName;
  const nameInput = useFocusOnOpen();
  const whose = props.ownerId ? `the name of ${props.ownerId}'s gateway` : "the gateway's name";
  return (
    <Modal
      closeAriaLabel="Close dialog"
      visible
      onDismiss={props.onCancel}
      header={`Delete gateway ${gatewayTitle(props.gatewayName, props.ownerId)}?`}
      footer={
        <Box float="right">
          <SpaceBetween direction="horizontal" size="xs">
            <Button variant="link" onClick={props.onCancel}>
              Cancel
            </Button>
            <WaitingButton
              variant="primary"
              disabled={!confirmed}
              loading={props.busy}
              onClick={props.onConfirm}
              wait={props.wait}
            >
              Delete
            </WaitingButton>
          </SpaceBetween>
        </Box>
      }
    >
      <SpaceBetween size="m">
        <Alert type="warning">
          Every peering this gateway has goes with it
          {props.peeringCount > 0 ? ` (${props.peeringCount} now)` : ''}: the remote gateways' peers are
          removed too. Its road-warrior clients can no longer connect.
        </Alert>
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (confirmed) props.onConfirm();
          }}
        >
          <FormField label={`To confirm, type ${whose}: ${props.gatewayName}`}>
            <Input
              ref={nameInput}
              value={typed}
              onChange={({ detail }) => setTyped(detail.value)}
              placeholder={props.gatewayName}
            />
          </FormField>
        </form>
      </SpaceBetween>
    </Modal>
  );
}

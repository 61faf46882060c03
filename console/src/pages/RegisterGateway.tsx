/** Register gateway (admins): a form over POST /v1/gateways; the API's field errors show on the fields. */
import BreadcrumbGroup from '@cloudscape-design/components/breadcrumb-group';
import Button from '@cloudscape-design/components/button';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { useState } from 'react';
import { api, call, type RegisterGatewayRequest } from '../api/client';
import { formErrors } from '../api/errors';
import { IdempotencyKey } from '../api/idempotency';
import { useRetryWait, WaitingButton } from '../components/retry-wait';
import { useDraft } from '../drafts';
import { gatewaysListHref } from '../list-return';
import { useNotifications } from '../notifications';
import { usePageTitle } from '../page-title';
import { followInApp, gatewayHref, navigate } from '../router';
import { useMounted } from '../while-mounted';

type FieldName = Exclude<keyof RegisterGatewayRequest, 'status'>;

const FIELDS: { name: FieldName; label: string; hint: string; optional?: boolean }[] = [
  { name: 'name', label: 'Name', hint: 'Shown in the console', optional: true },
  {
    name: 'id',
    label: 'Gateway id',
    hint: "The provisioning system's id; generated when empty",
    optional: true,
  },
  { name: 'ownerId', label: 'Owner', hint: 'The user id (sub) of the owner' },
  { name: 'vpcId', label: 'VPC', hint: 'For example vpc-0a1b2c3d' },
  { name: 'vpcCidr', label: 'VPC CIDR', hint: 'Private, /16 to /28, for example 10.10.0.0/16' },
  {
    name: 'tunnelSubnet',
    label: 'Tunnel subnet',
    hint: 'Private or shared space, /16 to /30, for example 100.64.0.0/24',
  },
  { name: 'publicIp', label: 'Public IP', hint: 'The endpoint peers and clients connect to' },
  { name: 'listenPort', label: 'Listen port', hint: '51820 when empty', optional: true },
  {
    name: 'instanceId',
    label: 'Instance',
    hint: 'The EC2 instance running the gateway, for example i-0a1b2c3d',
  },
  { name: 'location', label: 'Location', hint: 'For example eu-west-1', optional: true },
  {
    name: 'publicKey',
    label: 'Public key',
    hint: 'Leave empty to have a key pair generated',
    optional: true,
  },
];
const FIELD_NAMES = FIELDS.map((field) => field.name);

export function RegisterGateway() {
  usePageTitle('Register gateway');
  const { notify, reportError } = useNotifications();
  // Every field is non-secret (the public key is public): the draft may hold them all.
  const [values, setValues, discardDraft] = useDraft<Partial<Record<FieldName, string>>>(
    'register-gateway',
    {},
  );
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [idempotency] = useState(() => new IdempotencyKey());
  const wait = useRetryWait();
  const mounted = useMounted();
  const shown = formErrors(error, FIELD_NAMES);

  const submit = async () => {
    if (busy || wait.secondsLeft > 0) return;
    setBusy(true);
    setError(undefined);
    const body: Record<string, string | number> = {};
    for (const { name } of FIELDS) {
      const value = values[name]?.trim();
      if (value) body[name] = name === 'listenPort' && /^\d+$/.test(value) ? Number(value) : value;
    }
    try {
      const gateway = await wait.send(
        call(
          api().POST('/v1/gateways', {
            params: { header: { 'Idempotency-Key': idempotency.for(body) } },
            body: body as unknown as RegisterGatewayRequest,
          }),
          'Register gateway',
        ),
      );
      idempotency.reset();
      discardDraft();
      notify({ type: 'success', content: `Gateway ${gateway.name || gateway.id} registered.` });
      if (mounted()) navigate(gatewayHref(gateway.id));
    } catch (caught) {
      // Said in the form, whose Register gateway sends the same request again.
      if (mounted()) setError(caught);
      else reportError('Registering the gateway', caught);
    } finally {
      setBusy(false);
    }
  };

  return (
    <SpaceBetween size="m">
      <BreadcrumbGroup
        ariaLabel="Breadcrumbs"
        onFollow={followInApp}
        items={[
          { text: 'VPN Gateways', href: gatewaysListHref() },
          { text: 'Register gateway', href: '/gateways/register' },
        ]}
      />
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <Form
          header={
            <Header variant="h1" description="What the provisioning system does when it creates a gateway.">
              Register gateway
            </Header>
          }
          errorText={shown.form}
          actions={
            <SpaceBetween direction="horizontal" size="xs">
              <Button
                variant="link"
                href={gatewaysListHref()}
                onFollow={(event) => {
                  discardDraft();
                  followInApp(event);
                }}
              >
                Cancel
              </Button>
              <WaitingButton variant="primary" loading={busy} formAction="submit" wait={wait}>
                Register gateway
              </WaitingButton>
            </SpaceBetween>
          }
        >
          <Container header={<Header variant="h2">Gateway</Header>}>
            <ColumnLayout columns={2}>
              {FIELDS.map((field) => (
                <FormField
                  key={field.name}
                  label={
                    field.optional ? (
                      <span>
                        {field.label} <i>- optional</i>
                      </span>
                    ) : (
                      field.label
                    )
                  }
                  description={field.hint}
                  errorText={shown.fields[field.name]}
                >
                  <Input
                    value={values[field.name] ?? ''}
                    onChange={({ detail }) => setValues((all) => ({ ...all, [field.name]: detail.value }))}
                  />
                </FormField>
              ))}
            </ColumnLayout>
          </Container>
        </Form>
      </form>
    </SpaceBetween>
  );
}

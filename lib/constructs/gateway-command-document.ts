/**
 * The SSM Command documents that run the gateway script on an instance: `apply` applies a desired
 * state, `report` prints the live status report. Each carries the script (gateway/apply-config.sh
 * and its parts, assembled at synth time by gateway/assemble.ts) so the instance always runs the version deployed with the control plane. The
 * apply document takes only three constant-size parameters, each constrained by an
 * `allowedPattern` so no value can smuggle shell syntax into the command line; the report document
 * takes none.
 */
import { gzipSync } from 'node:zlib';
import { Arn, Stack } from 'aws-cdk-lib';
import { CfnDocument } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { assembleGatewayScript } from '../../gateway/assemble';

export const COMMAND_PARAMETER_PATTERNS = {
  gatewayId: '^[A-Za-z0-9._:-]{1,128}$',
  generation: '^[0-9]{1,12}$',
  stateUri: '^s3://[a-z0-9.-]+/[A-Za-z0-9/._-]+$',
} as const;

/** Where the script lands on the instance. */
const INSTALL_DIR = '/opt/vpc-peering';
export const INSTALLED_SCRIPT = `${INSTALL_DIR}/apply-config.sh`;

export type DocumentPurpose = 'apply' | 'report';

/** The script's arguments per document; the parameters are quoted although their patterns already exclude every shell metacharacter. */
const SCRIPT_ARGUMENTS: Record<DocumentPurpose, string> = {
  apply: "--gateway-id '{{ gatewayId }}' --generation '{{ generation }}' --state-uri '{{ stateUri }}'",
  report: '--report',
};

/** Byte 9 of a gzip header names the compressing OS; "unknown" keeps the document the same wherever it is synthesized. */
const GZIP_OS_BYTE = 9;
const GZIP_OS_UNKNOWN = 0xff;

/** The script gzipped (a third of its size: SSM bounds a document at 64 KB) and base64-encoded. */
function encodeScript(script: string): string {
  const compressed = gzipSync(Buffer.from(script, 'utf8'), { level: 9 });
  compressed[GZIP_OS_BYTE] = GZIP_OS_UNKNOWN;
  return compressed.toString('base64');
}

/**
 * The shell lines of a document: write the script, then run it with the document's arguments. The script
 * travels gzipped and base64-encoded so none of its bytes can be read as an SSM `{{ }}` placeholder or
 * end a heredoc (gzip is part of every Linux base system); it is replaced atomically (mktemp + mv) so a
 * concurrent run never executes half a file.
 */
export function gatewayScriptCommands(script: string, purpose: DocumentPurpose): string[] {
  const encoded = encodeScript(script);
  return [
    'set -eu',
    'umask 077',
    `install -d -m 0700 ${INSTALL_DIR}`,
    `tmp="$(mktemp "${INSTALLED_SCRIPT}.XXXXXX")"`,
    `echo '${encoded}' | base64 -d | gunzip > "$tmp"`,
    'chmod 0700 "$tmp"',
    `mv -f "$tmp" ${INSTALLED_SCRIPT}`,
    `exec ${INSTALLED_SCRIPT} ${SCRIPT_ARGUMENTS[purpose]}`,
  ];
}

export interface GatewayCommandDocumentProps {
  /** Absolute path of the gateway script's parts (the gateway/ folder). */
  readonly scriptSourceDir: string;
  readonly purpose: DocumentPurpose;
}

const DESCRIPTIONS: Record<DocumentPurpose, string> = {
  apply: 'Applies a VPC peering gateway desired state (WireGuard, routes, nftables).',
  report: 'Reports a VPC peering gateway live status (WireGuard peers, handshakes, bytes).',
};

export class GatewayCommandDocument extends Construct {
  readonly documentName: string;
  readonly documentArn: string;

  constructor(scope: Construct, id: string, props: GatewayCommandDocumentProps) {
    super(scope, id);
    const document = new CfnDocument(this, 'Document', {
      documentType: 'Command',
      documentFormat: 'JSON',
      // A new script becomes a new version of the same document, so its name (in the Lambdas'
      // environment) stays stable across deployments.
      updateMethod: 'NewVersion',
      content: {
        schemaVersion: '2.2',
        description: DESCRIPTIONS[props.purpose],
        parameters: props.purpose === 'apply' ? APPLY_PARAMETERS : {},
        mainSteps: [
          {
            action: 'aws:runShellScript',
            name: props.purpose === 'apply' ? 'applyConfig' : 'reportStatus',
            inputs: {
              timeoutSeconds: '300',
              runCommand: gatewayScriptCommands(assembleGatewayScript(props.scriptSourceDir), props.purpose),
            },
          },
        ],
      },
    });
    this.documentName = document.ref;
    this.documentArn = Arn.format(
      { service: 'ssm', resource: 'document', resourceName: document.ref },
      Stack.of(this),
    );
  }
}

function parameter(description: string, allowedPattern: string) {
  return { type: 'String', description, allowedPattern };
}

const APPLY_PARAMETERS = {
  gatewayId: parameter('Gateway id', COMMAND_PARAMETER_PATTERNS.gatewayId),
  generation: parameter('Desired-state generation', COMMAND_PARAMETER_PATTERNS.generation),
  stateUri: parameter('S3 URI of the desired-state document', COMMAND_PARAMETER_PATTERNS.stateUri),
};

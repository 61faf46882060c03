/** The route table of docs/CONTRACT.md#routes: each route parses its input, calls its use case, shapes the answer. */
import type { ApiDeps, ApiPolicy, ApiTiming } from '../app/api/context';
import {
  deleteGateway,
  gatewayStatus,
  getGatewayDetail,
  listGatewayPeers,
  listGateways,
  listPeeringCandidates,
  registerGateway,
} from '../app/api/gateways';
import { admitRoadWarrior } from '../app/api/limits';
import {
  createPeering,
  deletePeering,
  getPeering,
  listPeerings,
  type PeeringOutcome,
  peeringLocation,
} from '../app/api/peerings';
import { addRoadWarrior, clientConfig, deletePeer } from '../app/api/peers';
import { visibleGateway } from '../app/api/visibility';
import {
  parseCreatePeeringBody,
  parseCreateRoadWarriorBody,
  parsePeerName,
  parseRegisterGatewayBody,
  parseResourceId,
  parseRoadWarriorPeerName,
  peeringIdOfPeerName,
} from '../core/schemas';
import type { Caller } from '../core/types';
import { OPENAPI_PATH, openApiDocument } from '../openapi';
import { withIdempotency } from './idempotency';
import { errorResponse, type HttpResponse, jsonResponse, textResponse } from './response';
import type { Route, RouteRequest } from './router';

const gatewayIdOf = (request: RouteRequest<Caller | undefined>): string =>
  parseResourceId(request.params.id, 'id');

function peeringOutcomeResponse(outcome: PeeringOutcome): HttpResponse {
  if (outcome.kind === 'failed') return errorResponse(502, 'PEERING_FAILED', outcome.reason);
  if (outcome.kind === 'done') return jsonResponse(201, outcome.peering);
  return jsonResponse(202, outcome.peering, { location: peeringLocation(outcome.peering.id) });
}

const statusLocation = (gatewayId: string): string => `/v1/gateways/${encodeURIComponent(gatewayId)}/status`;

const deletionResponse = (state: 'done' | 'running', location?: string): HttpResponse =>
  state === 'done' ? jsonResponse(204) : jsonResponse(202, undefined, location ? { location } : {});

export function apiRoutes(d: ApiDeps, timing: ApiTiming, policy: ApiPolicy): Route[] {
  return [
    {
      method: 'GET',
      path: '/health',
      access: 'public',
      handle: async () => jsonResponse(200, { status: 'ok' }),
    },
    {
      method: 'GET',
      path: OPENAPI_PATH,
      access: 'public',
      handle: async () => jsonResponse(200, openApiDocument),
    },
    {
      method: 'POST',
      path: '/v1/gateways',
      access: 'admin',
      handle: (request) => {
        // Validated before the key is claimed: a refused body leaves no idempotency record.
        const input = parseRegisterGatewayBody(request.body, policy.addresses);
        // `ids`: what the ids this request mints derive from (app/api/ids.ts, IdDerivation).
        return withIdempotency(d, request, async (ids) =>
          jsonResponse(201, await registerGateway(d, request.caller, input, ids, policy.limits)),
        );
      },
    },
    {
      method: 'GET',
      path: '/v1/gateways',
      access: 'user',
      handle: async ({ caller, event }) =>
        jsonResponse(200, await listGateways(d, caller, event.queryStringParameters)),
    },
    {
      method: 'GET',
      path: '/v1/gateways/{id}',
      access: 'user',
      handle: async (request) =>
        jsonResponse(200, await getGatewayDetail(d, request.caller, gatewayIdOf(request))),
    },
    {
      method: 'DELETE',
      path: '/v1/gateways/{id}',
      access: 'user',
      handle: async (request) => {
        await deleteGateway(d, request.caller, gatewayIdOf(request));
        return jsonResponse(202);
      },
    },
    {
      method: 'GET',
      path: '/v1/gateways/{id}/peering-candidates',
      access: 'user',
      handle: async (request) =>
        jsonResponse(
          200,
          await listPeeringCandidates(
            d,
            request.caller,
            gatewayIdOf(request),
            request.event.queryStringParameters,
          ),
        ),
    },
    {
      method: 'GET',
      path: '/v1/gateways/{id}/peers',
      access: 'user',
      handle: async (request) =>
        jsonResponse(
          200,
          await listGatewayPeers(
            d,
            request.caller,
            gatewayIdOf(request),
            request.event.queryStringParameters,
          ),
        ),
    },
    {
      method: 'POST',
      path: '/v1/gateways/{id}/vpc-peerings',
      access: 'user',
      handle: async (request) => {
        const gatewayId = gatewayIdOf(request);
        const { remoteGatewayId } = parseCreatePeeringBody(request.body);
        // Both sides before the key is claimed: a refused request leaves no record to replay.
        await visibleGateway(d, request.caller, gatewayId);
        await visibleGateway(d, request.caller, remoteGatewayId);
        return withIdempotency(d, request, async (ids) =>
          peeringOutcomeResponse(
            await createPeering(d, request.caller, gatewayId, remoteGatewayId, ids, timing, policy.limits),
          ),
        );
      },
    },
    {
      method: 'GET',
      path: '/v1/gateways/{id}/status',
      access: 'user',
      handle: async (request) =>
        jsonResponse(200, await gatewayStatus(d, request.caller, gatewayIdOf(request), timing)),
    },
    {
      method: 'POST',
      path: '/v1/gateways/{id}/peers',
      access: 'user',
      handle: async (request) => {
        const gatewayId = gatewayIdOf(request);
        const input = parseCreateRoadWarriorBody(request.body);
        await visibleGateway(d, request.caller, gatewayId);
        return withIdempotency(d, request, async (ids) => {
          await admitRoadWarrior(d, gatewayId, input.name, policy.limits);
          return jsonResponse(201, await addRoadWarrior(d, request.caller, gatewayId, input, timing, ids));
        });
      },
    },
    {
      method: 'DELETE',
      path: '/v1/gateways/{id}/peers/{name}',
      access: 'user',
      handle: async (request) => {
        const gatewayId = gatewayIdOf(request);
        const name = parsePeerName(request.params.name, 'name');
        const { state, generation } = await deletePeer(d, request.caller, gatewayId, name, timing);
        if (state === 'done') return jsonResponse(204);
        // Running, with one body for both kinds of peer (the document's PeerRemoval). A revocation
        // is done once the gateway's appliedGeneration reaches `generation`; a peering's deletion
        // spans two gateways, so it has none: its peering, at Location, says when it ended.
        const peeringId = peeringIdOfPeerName(name);
        if (peeringId !== undefined) {
          return jsonResponse(202, { gatewayId, name }, { location: peeringLocation(peeringId) });
        }
        return jsonResponse(202, { gatewayId, name, generation }, { location: statusLocation(gatewayId) });
      },
    },
    {
      method: 'GET',
      path: '/v1/gateways/{id}/peers/{name}/config',
      access: 'user',
      handle: async (request) => {
        const gatewayId = gatewayIdOf(request);
        const name = parseRoadWarriorPeerName(request.params.name, 'name');
        return textResponse(200, await clientConfig(d, request.caller, gatewayId, name));
      },
    },
    {
      method: 'GET',
      path: '/v1/vpc-peerings',
      access: 'user',
      handle: async ({ caller, event }) =>
        jsonResponse(200, await listPeerings(d, caller, event.queryStringParameters)),
    },
    {
      method: 'GET',
      path: '/v1/vpc-peerings/{id}',
      access: 'user',
      handle: async (request) =>
        jsonResponse(200, await getPeering(d, request.caller, parseResourceId(request.params.id, 'id'))),
    },
    {
      method: 'DELETE',
      path: '/v1/vpc-peerings/{id}',
      access: 'user',
      handle: async (request) => {
        const peeringId = parseResourceId(request.params.id, 'id');
        const state = await deletePeering(d, request.caller, peeringId, timing);
        return deletionResponse(state, peeringLocation(peeringId));
      },
    },
  ];
}

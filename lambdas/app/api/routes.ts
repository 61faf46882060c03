/** The route table of DESIGN §3.2: each route parses its input, calls its use case, shapes the answer. */
import {
  parseCreatePeeringBody,
  parseCreateRoadWarriorBody,
  parsePeerName,
  parseRegisterGatewayBody,
  parseResourceId,
} from '../../core/schemas';
import type { Caller } from '../../core/types';
import { errorResponse, type HttpResponse, jsonResponse, textResponse } from '../../shared/http/response';
import type { Route, RouteRequest } from '../../shared/http/router';
import type { ApiDeps, ApiTiming } from './context';
import {
  deleteGateway,
  gatewayStatus,
  getGatewayDetail,
  listGatewayPeers,
  listGateways,
  listPeeringCandidates,
  registerGateway,
} from './gateways';
import { idempotencyKeyOf, withIdempotency } from './idempotency';
import {
  createPeering,
  deletePeering,
  getPeering,
  listPeerings,
  type PeeringOutcome,
  peeringLocation,
} from './peerings';
import { addRoadWarrior, clientConfig, deletePeer, peeringIdOfPeerName } from './peers';

const gatewayIdOf = (request: RouteRequest<Caller | undefined>): string =>
  parseResourceId(request.params.id, 'id');

function peeringOutcomeResponse(outcome: PeeringOutcome): HttpResponse {
  if (outcome.kind === 'failed') return errorResponse(502, 'PEERING_FAILED', outcome.reason);
  if (outcome.kind === 'done') return jsonResponse(201, outcome.peering);
  return jsonResponse(202, outcome.peering, { location: peeringLocation(outcome.peering.id) });
}

const deletionResponse = (state: 'done' | 'running', location?: string): HttpResponse =>
  state === 'done' ? jsonResponse(204) : jsonResponse(202, undefined, location ? { location } : {});

export function apiRoutes(d: ApiDeps, timing: ApiTiming): Route[] {
  return [
    {
      method: 'GET',
      path: '/health',
      access: 'public',
      handle: async () => jsonResponse(200, { status: 'ok' }),
    },
    {
      method: 'POST',
      path: '/v1/gateways',
      access: 'admin',
      handle: ({ event, caller, body }) =>
        withIdempotency(d, caller, event, async () => {
          const input = parseRegisterGatewayBody(body);
          return jsonResponse(201, await registerGateway(d, caller, input, idempotencyKeyOf(event)));
        }),
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
      handle: (request) =>
        withIdempotency(d, request.caller, request.event, async () => {
          const gatewayId = gatewayIdOf(request);
          const { remoteGatewayId } = parseCreatePeeringBody(request.body);
          const key = idempotencyKeyOf(request.event);
          return peeringOutcomeResponse(
            await createPeering(d, request.caller, gatewayId, remoteGatewayId, key, timing),
          );
        }),
    },
    {
      method: 'GET',
      path: '/v1/gateways/{id}/status',
      access: 'user',
      handle: async (request) =>
        jsonResponse(200, await gatewayStatus(d, request.caller, gatewayIdOf(request))),
    },
    {
      method: 'POST',
      path: '/v1/gateways/{id}/peers',
      access: 'user',
      handle: (request) =>
        withIdempotency(d, request.caller, request.event, async () => {
          const gatewayId = gatewayIdOf(request);
          const input = parseCreateRoadWarriorBody(request.body);
          return jsonResponse(201, await addRoadWarrior(d, request.caller, gatewayId, input, timing));
        }),
    },
    {
      method: 'DELETE',
      path: '/v1/gateways/{id}/peers/{name}',
      access: 'user',
      handle: async (request) => {
        const gatewayId = gatewayIdOf(request);
        const name = parsePeerName(request.params.name, 'name');
        const state = await deletePeer(d, request.caller, gatewayId, name, timing);
        const peeringId = peeringIdOfPeerName(name);
        return deletionResponse(state, peeringId === undefined ? undefined : peeringLocation(peeringId));
      },
    },
    {
      method: 'GET',
      path: '/v1/gateways/{id}/peers/{name}/config',
      access: 'user',
      handle: async (request) => {
        const gatewayId = gatewayIdOf(request);
        const name = parsePeerName(request.params.name, 'name');
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

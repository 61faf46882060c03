/**
 * The Repository contract (test/support/repository-contract.ts): a move's preshared key switch on
 * both entries of a peering (switchPresharedKey; app/preshared-key-rotation.ts).
 */
import { newPeering, uniqueId } from '../records';
import type { ContractContext } from './context';

export function presharedKeysContract({ repo, pairOfGateways, generationOf }: ContractContext): void {
  describe('preshared key switches', () => {
    it('switches both entries of a peering and moves both generations once; a repeat writes nothing', async () => {
      // Prepare: each side at generation 1 (the peering's commit).
      const [a, b] = await pairOfGateways();
      const peering = newPeering(a, b);
      await repo().createPeering(peering);
      const name = `vpc-peering-${peering.id}`;
      const to = `/vpc-peering/peerings/${peering.id}/psk-0123456789abcdef`;

      // Act
      const first = await repo().switchPresharedKey(a.id, a.createdAt, b.id, name, to);
      const repeat = await repo().switchPresharedKey(a.id, a.createdAt, b.id, name, to);

      // Assess
      expect(first).toEqual({ remoteGeneration: 2, replaced: [peering.presharedKeyParam] });
      expect(repeat).toEqual({ remoteGeneration: 2, replaced: [] });
      expect((await repo().getPeer(a.id, name))?.presharedKeyParam).toBe(to);
      expect((await repo().getPeer(b.id, name))?.presharedKeyParam).toBe(to);
      expect([await generationOf(a.id), await generationOf(b.id)]).toEqual([2, 2]);
    });

    it('writes nothing, and brings no entry back, when the peering or a gateway is gone or is another incarnation', async () => {
      // Prepare: a detached peering (both entries gone) and a live one.
      const [a, b] = await pairOfGateways();
      const detached = newPeering(a, b);
      await repo().createPeering(detached);
      await repo().detachPeering(detached.id);
      const [c, d] = await pairOfGateways();
      const live = newPeering(c, d);
      await repo().createPeering(live);
      const liveName = `vpc-peering-${live.id}`;
      const to = (id: string) => `/vpc-peering/peerings/${id}/psk-0123456789abcdef`;
      const generations = [await generationOf(a.id), await generationOf(c.id), await generationOf(d.id)];

      // Act
      const outcomes = [
        await repo().switchPresharedKey(
          a.id,
          a.createdAt,
          b.id,
          `vpc-peering-${detached.id}`,
          to(detached.id),
        ),
        await repo().switchPresharedKey(c.id, 'another-incarnation', d.id, liveName, to(live.id)),
        await repo().switchPresharedKey(c.id, c.createdAt, uniqueId('gw-gone'), liveName, to(live.id)),
      ];

      // Assess
      expect(outcomes).toEqual([undefined, undefined, undefined]);
      expect(await repo().getPeer(a.id, `vpc-peering-${detached.id}`)).toBeUndefined();
      expect(await repo().getPeer(b.id, `vpc-peering-${detached.id}`)).toBeUndefined();
      expect((await repo().getPeer(c.id, liveName))?.presharedKeyParam).toBe(live.presharedKeyParam);
      expect([await generationOf(a.id), await generationOf(c.id), await generationOf(d.id)]).toEqual(
        generations,
      );
    });
  });
}

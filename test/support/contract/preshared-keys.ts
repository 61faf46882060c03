/**
 * The Repository contract (test/support/repository-contract.ts): a move's preshared key switch on
 * both entries of a peering (switchPresharedKey; app/preshared-key-rotation.ts).
 */
import { newPeering, uniqueId } from '../records';
import type { ContractContext } from './context';

export function presharedKeysContract({ repo, pairOfGateways, generationOf }: ContractContext): void {
  describe('preshared key switches', () => {
    it('switches both entries of a peering, recording the rotation, and moves both generations once; a repeat writes nothing', async () => {
      // Prepare: each side at generation 1 (the peering's commit).
      const [a, b] = await pairOfGateways();
      const peering = newPeering(a, b);
      await repo().createPeering(peering);
      const name = `vpc-peering-${peering.id}`;
      const to = `/vpc-peering/peerings/${peering.id}/psk-0123456789abcdef`;
      const change = { from: peering.presharedKeyParam, to, rotation: 'aaaaaaaaaaaaaaaa' };

      // Act
      const first = await repo().switchPresharedKey(a.id, a.createdAt, b.id, name, change);
      const repeat = await repo().switchPresharedKey(a.id, a.createdAt, b.id, name, change);

      // Assess
      expect(first).toEqual({ remoteGeneration: 2, switched: true, held: to });
      expect(repeat).toEqual({ remoteGeneration: 2, switched: false, held: to });
      for (const gatewayId of [a.id, b.id]) {
        const entry = await repo().getPeer(gatewayId, name);
        expect([entry?.presharedKeyParam, entry?.presharedKeyRotation]).toEqual([to, 'aaaaaaaaaaaaaaaa']);
      }
      expect([await generationOf(a.id), await generationOf(b.id)]).toEqual([2, 2]);
    });

    it('writes nothing when the entries no longer hold the name read: another rotation switched them since', async () => {
      // Prepare: b's move rotated the peering after a's walk read the created name.
      const [a, b] = await pairOfGateways();
      const peering = newPeering(a, b);
      await repo().createPeering(peering);
      const name = `vpc-peering-${peering.id}`;
      const byB = `/vpc-peering/peerings/${peering.id}/psk-bbbbbbbbbbbbbbbb`;
      const from = peering.presharedKeyParam;
      await repo().switchPresharedKey(b.id, b.createdAt, a.id, name, {
        from,
        to: byB,
        rotation: 'b'.repeat(16),
      });

      // Act: a's switch, from the name it read.
      const byA = `/vpc-peering/peerings/${peering.id}/psk-aaaaaaaaaaaaaaaa`;
      const outcome = await repo().switchPresharedKey(a.id, a.createdAt, b.id, name, {
        from,
        to: byA,
        rotation: 'a'.repeat(16),
      });

      // Assess: b's name and rotation stay; only b's switch moved the generations.
      expect(outcome).toEqual({ remoteGeneration: 2, switched: false, held: byB });
      for (const gatewayId of [a.id, b.id]) {
        const entry = await repo().getPeer(gatewayId, name);
        expect([entry?.presharedKeyParam, entry?.presharedKeyRotation]).toEqual([byB, 'b'.repeat(16)]);
      }
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
      const to = (id: string, from: string) => ({
        from,
        to: `/vpc-peering/peerings/${id}/psk-0123456789abcdef`,
        rotation: '0123456789abcdef',
      });
      const generations = [await generationOf(a.id), await generationOf(c.id), await generationOf(d.id)];

      // Act
      const outcomes = [
        await repo().switchPresharedKey(
          a.id,
          a.createdAt,
          b.id,
          `vpc-peering-${detached.id}`,
          to(detached.id, detached.presharedKeyParam),
        ),
        await repo().switchPresharedKey(
          c.id,
          'another-incarnation',
          d.id,
          liveName,
          to(live.id, live.presharedKeyParam),
        ),
        await repo().switchPresharedKey(
          c.id,
          c.createdAt,
          uniqueId('gw-gone'),
          liveName,
          to(live.id, live.presharedKeyParam),
        ),
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

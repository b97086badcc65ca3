import type multicastDns from 'multicast-dns';
import { MicroError } from '../errors.ts';
import { encodeInstance, instanceRecordName, type MdnsNames, serviceRecordName } from './mdns-records.ts';
import type { RegistryNode, Service } from './registry.ts';

// Building the response packets that announce (or say goodbye for) this process's instances.

export type MdnsAnswer = multicastDns.ResponsePacket['answers'][number];

/** One node of a service version this registry registered and answers for. */
export interface LocalInstance {
  /** Its instance name (see mdns-records.ts). */
  instance: string;
  /** The per-service PTR name it is listed under. */
  sub: string;
  /** The version with this one node. */
  service: Service;
  ttlMs: number;
  /** The encoded TXT strings, made once at register time. */
  txt: Buffer[];
  txtBytes: number;
}

/** Over this, one instance's TXT data may not cross a LAN in one packet (loopback carries up to 64 KiB). */
export const LAN_PACKET_BYTES = 8_000;
const MAX_TXT_BYTES = 60_000;

/** The records of one node of a checked service, encoded once; throws PAYLOAD_TOO_LARGE past one UDP packet. */
export function localInstance(names: MdnsNames, service: Service, node: RegistryNode, ttlMs: number): LocalInstance {
  const txt = encodeInstance(service, node, ttlMs);
  const txtBytes = txt.reduce((n, part) => n + part.length + 1, 0);
  if (txtBytes > MAX_TXT_BYTES) {
    throw new MicroError('PAYLOAD_TOO_LARGE', `service ${service.name} describes ${txtBytes} bytes, over what one mDNS packet carries`, { id: 'micromesh.registry' });
  }
  return {
    instance: instanceRecordName(names, service.name, service.version, node.id),
    sub: serviceRecordName(names, service.name),
    service: Object.freeze({ ...service, nodes: Object.freeze([node]) as RegistryNode[] }),
    ttlMs,
    txt,
    txtBytes,
  };
}

/**
 * Stays under the 9000-byte mDNS packet limit of RFC 6762 (less IP and UDP headers), so a LAN carries it;
 * an instance bigger than that goes alone.
 */
const PACKET_BUDGET = 8_900;

/** DNS TTLs are whole seconds; the exact ttlMs travels in the TXT data. */
export function recordTtl(ttlMs: number): number {
  return Math.max(1, Math.ceil(ttlMs / 1000));
}

/** The records of the given instances, cut into packets; `goodbye` sends them with TTL 0. */
export function answersFor(names: MdnsNames, instances: readonly LocalInstance[], goodbye: boolean): MdnsAnswer[][] {
  const packets: MdnsAnswer[][] = [];
  let current: MdnsAnswer[] = [];
  let size = 12;
  for (const inst of instances) {
    const ttl = goodbye ? 0 : recordTtl(inst.ttlMs);
    const bytes = 40 + 3 * inst.instance.length + inst.sub.length + names.browse.length + inst.txtBytes;
    if (current.length > 0 && size + bytes > PACKET_BUDGET) {
      packets.push(current);
      current = [];
      size = 12;
    }
    size += bytes;
    current.push(
      { name: names.browse, type: 'PTR', ttl, data: inst.instance },
      { name: inst.sub, type: 'PTR', ttl, data: inst.instance },
      { name: inst.instance, type: 'TXT', ttl, flush: true, data: inst.txt },
    );
  }
  if (current.length > 0) packets.push(current);
  return packets;
}

/** 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopbackAddress(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.') || address === 'localhost';
}

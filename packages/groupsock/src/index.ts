/**
 * @packageDocumentation
 * live555's groupsock for Node: UDP sockets that send each RTP/RTCP packet to one or many
 * destinations with scatter/gather writes, multicast (any-source and source-specific), RTP/RTCP
 * port-pair allocation, and `host:port` address helpers.
 */
export { Groupsock, type GroupsockEvents, type GroupsockOptions, type SenderAddress } from './Groupsock.js';
export { literalLookup } from './literalLookup.js';
export { PortPairAllocator, type PortPair, type PortPairAllocatorOptions } from './PortPairAllocator.js';
export {
  addressFamily,
  anyAddress,
  formatHostPort,
  isMulticastAddress,
  isSourceSpecificMulticastAddress,
  parseHostPort,
  socketTypeFor,
  type AddressFamilyNumber,
  type HostPort,
  type UDPEndpoint,
  type UDPSocketType,
} from './NetAddress.js';

/** IPv4 arithmetic for the subnet rules; inputs are already checked by the schema. */

function toNumber(address: string): number {
  return address.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
}

/** Whether `address` lies in `cidr` (`10.1.0.0/16`). */
export function ipv4InSubnet(address: string, cidr: string): boolean {
  const [base = '', bits = '32'] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(toNumber(base) / size) * size;
  const value = toNumber(address);
  return value >= start && value < start + size;
}

/** Whether the subnet `inner` lies wholly within `outer`. */
export function subnetWithin(inner: string, outer: string): boolean {
  const [base = '', bits = '32'] = inner.split('/');
  const [, outerBits = '32'] = outer.split('/');
  return Number(bits) >= Number(outerBits) && ipv4InSubnet(base, outer);
}

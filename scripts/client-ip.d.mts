export declare const CLIENT_IP_HEADER: string;
export declare const CLIENT_IP_FROM_SERVER: string;
export declare function clientIpResolver(
  trustedProxies: string | undefined,
): (remoteAddress: string | undefined, forwardedFor: string | string[] | undefined) => string;

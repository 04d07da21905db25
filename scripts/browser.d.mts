export function testBrowser(): Promise<{ executablePath: string; args: string[]; source: string }>;

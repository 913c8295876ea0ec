export function firefoxPath(): string | undefined;
export function firefoxLaunch(): { channel: string; launchOptions: { executablePath: string | undefined; headless: boolean; firefoxUserPrefs: Record<string, number> } };

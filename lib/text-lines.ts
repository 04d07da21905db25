/** The lines of a text as the side-by-side diff numbers them (1-based; a final newline ends the last line, it adds none). */
export const textLines = (value: string): string[] => value.replace(/\n$/, "").split("\n");

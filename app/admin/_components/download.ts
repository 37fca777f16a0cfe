// Saving a file the console's API answered ({ filename, contentType, body }) through the browser.
export function downloadFile(file: { filename: string; contentType: string; body: string }) {
  const url = URL.createObjectURL(new Blob([file.body], { type: file.contentType }));
  const anchor = document.createElement("a");
  anchor.href = url;
  anchor.download = file.filename;
  anchor.click();
  URL.revokeObjectURL(url);
}

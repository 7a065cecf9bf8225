// Package files is aiofiles for the loop: files and the file system as
// awaits, so that reading and writing a file never blocks the loop.
package files

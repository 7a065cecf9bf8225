package transport

// haveSendfile: sendfile(2) copies a file to a socket in the kernel.
const haveSendfile = true

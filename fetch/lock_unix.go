//go:build unix

package fetch

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// ErrPollRunning is returned by LockPoll when another poll holds the lock.
var ErrPollRunning = errors.New("another poll is running")

// LockPoll takes the poll lock: an exclusive flock on path, created if
// needed. The kernel drops the lock when the process exits, however it
// exits, so a killed poll never leaves a stale lock behind. Call unlock when
// done.
func LockPoll(path string) (unlock func() error, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("poll lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (lock %s is held)", ErrPollRunning, path)
		}
		return nil, fmt.Errorf("poll lock %s: %w", path, err)
	}
	return func() error {
		// Closing the file releases the flock.
		return f.Close()
	}, nil
}

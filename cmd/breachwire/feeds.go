package main

import (
	"context"
	"errors"
)

func runFeeds(ctx context.Context, app *app, args []string) error {
	fs := app.flags("feeds", "")
	if _, err := app.parse(fs, args); err != nil {
		return err
	}
	return errors.New("not implemented yet")
}

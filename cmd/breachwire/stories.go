package main

import (
	"context"
	"errors"
)

func runStories(ctx context.Context, app *app, args []string) error {
	fs := app.flags("stories", "")
	if _, err := app.parse(fs, args); err != nil {
		return err
	}
	return errors.New("not implemented yet")
}
